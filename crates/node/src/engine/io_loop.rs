//! The I/O thread: socket in, endpoint, JavaScript out, and back.

use std::collections::VecDeque;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Status;
use proto::endpoint::Endpoint;
use proto::Timestamp;
use quinn_udp::{RecvMeta, Transmit, UdpSockRef, UdpSocketState};

use super::batch::BatchBuilder;
use super::commands::{Command, SendBatch};
use super::options::Config;
use super::peers::Sources;
use super::stats::{IoCounters, SharedStats};
use super::Deliver;

const SOCKET: Token = Token(0);
const WAKER: Token = Token(1);
/// Receive buffers per recvmmsg call.
const RECV_BATCH: usize = 32;
/// Bytes per receive buffer: room for a full GRO train of datagrams.
const RECV_BUFFER: usize = 64 * 1024;
/// recvmmsg calls per wake-up before the loop turns to timers and sends again.
const RECV_ROUNDS: usize = 16;
/// Datagrams waiting for a full socket send buffer to drain, at most.
const SEND_QUEUE: usize = 16 * 1024;
/// Largest GSO train: the kernel's limit on one UDP send.
const GSO_BYTES: usize = 64 * 1024;
/// Deliveries held before ringing JavaScript even if more input is pending.
const RING_AT: usize = 1024;

pub(super) struct IoLoop {
    socket: mio::net::UdpSocket,
    state: UdpSocketState,
    poll: Poll,
    waker: Arc<Waker>,
    inbox: Receiver<Command>,
    endpoint: Endpoint,
    deliver: Deliver,
    stats: SharedStats,
    io: IoCounters,
    epoch: Instant,
    outgoing: VecDeque<(SocketAddr, Vec<u8>)>,
    writable_wanted: bool,
    batch: BatchBuilder,
    sources: Sources,
    recv_buffers: Vec<Vec<u8>>,
    /// A send batch taken from the inbox but not yet all handed to the endpoint, because
    /// the socket filled up: (batch, next message). The inbox waits behind it.
    paused: Option<(SendBatch, usize)>,
    /// The last read stopped before the socket was empty. mio is edge-triggered: no new
    /// wake-up comes for data already queued, so the loop must come back without waiting
    /// (else a burst that fills the buffer leaves the socket deaf for good).
    unread: bool,
    closing: bool,
}

impl IoLoop {
    pub fn new(
        mut socket: mio::net::UdpSocket,
        config: &Config,
        inbox: Receiver<Command>,
        deliver: Deliver,
        stats: SharedStats,
    ) -> io::Result<Self> {
        let state = UdpSocketState::new(UdpSockRef::from(&socket))?;
        let poll = Poll::new()?;
        poll.registry().register(&mut socket, SOCKET, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let endpoint = Endpoint::new(config.endpoint.clone()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let io = IoCounters { gso: state.max_gso_segments() > 1, ..IoCounters::default() };
        Ok(IoLoop {
            socket,
            state,
            poll,
            waker,
            inbox,
            endpoint,
            deliver,
            stats,
            io,
            epoch: Instant::now(),
            outgoing: VecDeque::new(),
            writable_wanted: false,
            batch: BatchBuilder::default(),
            sources: Sources::default(),
            recv_buffers: vec![vec![0u8; RECV_BUFFER]; RECV_BATCH],
            paused: None,
            unread: false,
            closing: false,
        })
    }

    pub fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_micros(self.epoch.elapsed().as_micros() as u64)
    }

    /// Runs until JavaScript closes the socket.
    pub fn run(mut self) {
        let mut events = Events::with_capacity(16);
        loop {
            self.drain_commands();
            let now = self.now();
            if self.endpoint.poll_timeout().is_some_and(|t| t <= now) {
                self.endpoint.handle_timeout(now);
            }
            self.collect_deliveries();
            self.collect_transmits();
            self.send_pending();
            // Published before ringing, so a callback that reads stats() sees its batch counted.
            self.stats.publish(&self.endpoint.stats(), &self.endpoint.path(), &self.io);
            self.ring();
            if self.closing && self.outgoing.is_empty() && self.paused.is_none() {
                return;
            }
            let timeout = if self.unread {
                Some(Duration::ZERO)
            } else {
                self.endpoint.poll_timeout().map(|t| t.saturating_duration_since(self.now()))
            };
            // A closing loop with a blocked socket still wakes to retry, but not forever.
            let timeout = if self.closing { Some(timeout.unwrap_or(Duration::from_millis(10)).min(Duration::from_millis(10))) } else { timeout };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return;
                }
            }
            if self.unread || events.iter().any(|e| e.token() == SOCKET && e.is_readable()) {
                self.receive();
            }
        }
    }

    /// Hands queued messages to the endpoint while the socket keeps up: once the send queue
    /// is half full and the socket would block, the rest waits for it to drain, so a burst
    /// from JavaScript is paced by the socket instead of overflowing the queue.
    fn drain_commands(&mut self) {
        loop {
            let (batch, start) = match self.paused.take() {
                Some(paused) => paused,
                None => match self.inbox.try_recv() {
                    Ok(Command::Send(batch)) => (batch, 0),
                    Ok(Command::Close) | Err(TryRecvError::Disconnected) => {
                        self.closing = true;
                        self.endpoint.flush();
                        return;
                    }
                    Err(TryRecvError::Empty) => return,
                },
            };
            let now = self.now();
            for (i, &(offset, length, to)) in batch.messages.iter().enumerate().skip(start) {
                if self.outgoing.len() >= SEND_QUEUE / 2 {
                    self.collect_transmits();
                    self.send_pending();
                    if self.outgoing.len() >= SEND_QUEUE / 2 {
                        self.paused = Some((batch, i));
                        return;
                    }
                }
                if self.endpoint.send(to, &batch.data[offset..offset + length], now).is_err() {
                    self.io.refused += 1;
                }
                self.collect_transmits();
            }
        }
    }

    /// Reads datagrams in batches (recvmmsg, GRO) and feeds them to the endpoint.
    fn receive(&mut self) {
        let mut meta = [RecvMeta::default(); RECV_BATCH];
        self.unread = true;
        for _ in 0..RECV_ROUNDS {
            let mut slices: Vec<IoSliceMut> = self.recv_buffers.iter_mut().map(|b| IoSliceMut::new(b)).collect();
            let count = match self.state.recv(UdpSockRef::from(&self.socket), &mut slices, &mut meta) {
                Ok(count) => count,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.unread = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // ICMP errors (connection refused from a closed peer port) surface here on some
                // systems; they say nothing about our socket.
                Err(_) => continue,
            };
            drop(slices);
            self.io.recv_syscalls += 1;
            let now = self.now();
            for (m, buffer) in meta.iter().zip(&self.recv_buffers).take(count) {
                let stride = m.stride.max(1);
                // An empty datagram is still a datagram (chunks() of nothing yields nothing).
                let datagrams = buffer[..m.len].chunks(stride).chain((m.len == 0).then_some(&buffer[..0]));
                for datagram in datagrams {
                    self.io.datagrams_received += 1;
                    self.endpoint.handle_datagram(m.addr, datagram, now);
                }
            }
            self.collect_deliveries();
            if self.batch.len() >= RING_AT {
                self.ring();
            }
        }
    }

    fn collect_deliveries(&mut self) {
        while let Some((from, delivery)) = self.endpoint.poll_delivery() {
            self.batch.push(&mut self.sources, from, &delivery.payload);
        }
    }

    /// Hands the batch to JavaScript: one call, however many messages.
    fn ring(&mut self) {
        if self.batch.len() == 0 {
            return;
        }
        let messages = self.batch.len() as u64;
        match self.deliver.call(self.batch.take(), ThreadsafeFunctionCallMode::NonBlocking) {
            Status::Ok => self.io.batches += 1,
            _ => {
                self.io.dropped_batches += 1;
                self.io.dropped_messages += messages;
                // JavaScript missed this batch's peer announcements: announce everyone again.
                self.sources = Sources::default();
            }
        }
    }

    fn collect_transmits(&mut self) {
        let now = self.now();
        while let Some((to, transmit)) = self.endpoint.poll_transmit(now) {
            if self.outgoing.len() >= SEND_QUEUE {
                self.outgoing.pop_front();
                self.io.send_queue_drops += 1;
            }
            self.outgoing.push_back((to, transmit.datagram));
        }
    }

    /// Sends queued datagrams, grouping runs of equal-sized ones to one destination into a
    /// single GSO send where the kernel supports it.
    fn send_pending(&mut self) {
        let max_segments = self.state.max_gso_segments();
        let mut train = Vec::with_capacity(GSO_BYTES);
        while let Some((to, first)) = self.outgoing.front() {
            let (to, size) = (*to, first.len());
            let mut count = 1;
            while count < max_segments
                && (count + 1) * size <= GSO_BYTES
                && self.outgoing.get(count).is_some_and(|(t, d)| *t == to && d.len() == size)
            {
                count += 1;
            }
            // A shorter datagram may end a train.
            if count < max_segments && (count + 1) * size <= GSO_BYTES {
                if let Some((t, d)) = self.outgoing.get(count) {
                    if *t == to && d.len() < size && !d.is_empty() {
                        count += 1;
                    }
                }
            }
            train.clear();
            for (_, datagram) in self.outgoing.iter().take(count) {
                train.extend_from_slice(datagram);
            }
            let transmit = Transmit {
                destination: to,
                ecn: None,
                contents: &train,
                segment_size: (count > 1).then_some(size),
                src_ip: None,
            };
            match self.state.try_send(UdpSockRef::from(&self.socket), &transmit) {
                Ok(()) => {
                    self.io.send_syscalls += 1;
                    self.io.datagrams_sent += count as u64;
                    self.outgoing.drain(..count);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.want_writable(true);
                    return;
                }
                Err(_) => {
                    // Counted and dropped: UDP senders cannot do better, and the protocol repairs.
                    self.io.send_errors += 1;
                    self.outgoing.drain(..count);
                }
            }
        }
        self.want_writable(false);
    }

    fn want_writable(&mut self, wanted: bool) {
        if wanted == self.writable_wanted {
            return;
        }
        let interest = if wanted { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
        if self.poll.registry().reregister(&mut self.socket, SOCKET, interest).is_ok() {
            self.writable_wanted = wanted;
        }
    }
}
