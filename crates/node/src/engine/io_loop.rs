//! The I/O thread: socket in, endpoint, JavaScript out, and back. With a bridge (a relay's
//! plain side), datagrams go between the bridge's socket and the endpoint without JavaScript.

use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token, Waker};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Status;
use proto::endpoint::{Endpoint, PeerEvent, DEFAULT_STREAM};
use proto::Timestamp;

use super::backlog::Backlog;
use super::batch::BatchBuilder;
use super::bridge::Bridge;
use super::commands::{Command, SendBatch};
use super::options::Config;
use super::peers::Sources;
use super::recycle::Recycler;
use super::stats::{IoCounters, SharedStats};
use super::udp::{Udp, SEND_QUEUE};
use super::Deliver;

const SOCKET: Token = Token(0);
const WAKER: Token = Token(1);
pub(super) const BRIDGE: Token = Token(2);
/// recvmmsg calls per wake-up before the loop turns to timers and sends again.
const RECV_ROUNDS: usize = 16;
/// Deliveries held before ringing JavaScript even if more input is pending.
const RING_AT: usize = 1024;
/// Datagrams encoded before they are sent, when JavaScript has handed over more: a few GSO
/// trains, so the kernel copies them while they are still in cache (with thousands queued
/// first, its copy of each train was the sender's largest cost).
const SEND_EVERY: usize = 256;
/// How often the kernel's count of datagrams dropped at the sockets is read (a system call),
/// besides once as the loop closes.
const DROPS_EVERY: Duration = Duration::from_millis(50);

/// What the I/O thread shares with the JavaScript thread.
pub(super) struct Shared {
    pub stats: SharedStats,
    pub backlog: Arc<Backlog>,
    pub recycler: Arc<Recycler>,
}

pub(super) struct IoLoop {
    main: Udp,
    bridge: Option<Bridge>,
    poll: Poll,
    waker: Arc<Waker>,
    inbox: Receiver<Command>,
    endpoint: Endpoint,
    deliver: Deliver,
    stats: SharedStats,
    backlog: Arc<Backlog>,
    recycler: Arc<Recycler>,
    io: IoCounters,
    epoch: Instant,
    batch: BatchBuilder,
    sources: Sources,
    /// A send batch taken from the inbox but not yet all handed to the endpoint, because
    /// the socket filled up: (batch, next message). The inbox waits behind it.
    paused: Option<(SendBatch, usize)>,
    closing: bool,
    /// When the kernel's drop counts were last read.
    drops_read_at: Timestamp,
}

impl IoLoop {
    /// Registers `socket` (and the bridge's, if any) and gets ready to run.
    pub fn new(
        socket: mio::net::UdpSocket,
        bridge: Option<(mio::net::UdpSocket, super::bridge::Direction)>,
        config: &Config,
        inbox: Receiver<Command>,
        deliver: Deliver,
        Shared { stats, backlog, recycler }: Shared,
    ) -> std::io::Result<Self> {
        let poll = Poll::new()?;
        let main = Udp::register(socket, poll.registry(), SOCKET)?;
        let bridge = match bridge {
            Some((socket, direction)) => Some(Bridge { udp: Udp::register(socket, poll.registry(), BRIDGE)?, direction }),
            None => None,
        };
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let endpoint = Endpoint::new(config.endpoint.clone())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let io = IoCounters { gso: main.gso(), ..IoCounters::default() };
        Ok(IoLoop {
            main,
            bridge,
            poll,
            waker,
            inbox,
            endpoint,
            deliver,
            stats,
            backlog,
            recycler,
            io,
            epoch: Instant::now(),
            batch: BatchBuilder::default(),
            sources: Sources::default(),
            paused: None,
            closing: false,
            drops_read_at: Timestamp::ZERO,
        })
    }

    pub fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    /// Where the bridge's socket is bound, if there is one.
    pub fn bridge_address(&self) -> Option<SocketAddr> {
        self.bridge.as_ref().and_then(|b| b.udp.local_addr().ok())
    }

    fn now(&self) -> Timestamp {
        timestamp(self.epoch)
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
            self.collect_transmits(now);
            self.send_pending();
            if self.closing || now >= self.drops_read_at + DROPS_EVERY {
                self.read_receive_buffer_drops(now);
            }
            // Published before ringing, so a callback that reads stats() sees its batch counted.
            let bridge = self.bridge.as_ref().map(|b| b.udp.counters);
            let streams = self.endpoint.streams_stats();
            self.stats.publish(&self.endpoint.stats(), &self.endpoint.path(), &self.io, &self.main.counters, bridge.as_ref(), &streams);
            self.ring();
            let unsent = self.main.queued() + self.bridge.as_ref().map_or(0, |b| b.udp.queued());
            if self.closing && unsent == 0 && self.paused.is_none() {
                return;
            }
            let unread = self.main.unread || self.bridge.as_ref().is_some_and(|b| b.udp.unread);
            let timeout = if unread {
                Some(Duration::ZERO)
            } else {
                self.endpoint.poll_timeout().map(|t| t.saturating_duration_since(self.now()))
            };
            // A closing loop with a blocked socket still wakes to retry, but not forever.
            let timeout = if self.closing { Some(timeout.unwrap_or(Duration::from_millis(10)).min(Duration::from_millis(10))) } else { timeout };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return;
                }
            }
            let readable = |token: Token| events.iter().any(|e| e.token() == token && e.is_readable());
            let (main_ready, bridge_ready) = (readable(SOCKET), readable(BRIDGE));
            if self.main.unread || main_ready {
                self.receive();
            }
            if self.bridge.as_ref().is_some_and(|b| b.udp.unread) || bridge_ready {
                self.receive_bridge();
            }
        }
    }

    /// Hands queued messages to the endpoint while the socket keeps up, sending every
    /// [`SEND_EVERY`] datagrams: once the send queue is half full and the socket would block,
    /// the rest waits for it to drain, so a burst from JavaScript is paced by the socket
    /// instead of overflowing the queue.
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
            for (i, &(offset, length, to, stream)) in batch.messages.iter().enumerate().skip(start) {
                if self.main.queued() >= SEND_EVERY {
                    self.collect_transmits(now);
                    self.send_pending();
                    if self.main.queued() >= SEND_QUEUE / 2 {
                        self.paused = Some((batch, i));
                        return;
                    }
                }
                let message = &batch.data[offset..offset + length];
                send_through(&mut self.endpoint, &mut self.main, &mut self.io.refused, (to, stream), message, now);
                self.backlog.taken(1);
            }
            self.recycler.give(batch.data);
        }
    }


    /// Reads datagrams in batches (recvmmsg, GRO) and feeds them to the endpoint.
    fn receive(&mut self) {
        for _ in 0..RECV_ROUNDS {
            let now = self.now();
            let endpoint = &mut self.endpoint;
            if !self.main.receive(|from, datagram| endpoint.handle_datagram(from, datagram, now)) {
                return;
            }
            self.collect_deliveries();
            if self.batch.len() >= RING_AT {
                self.ring();
            }
        }
    }

    /// Reads the bridge's plain datagrams and sends each, as is, to the protected peer,
    /// straight from the receive buffers.
    fn receive_bridge(&mut self) {
        let Some(bridge) = &mut self.bridge else { return };
        // A receiver-side bridge only sends: whatever arrives there is read and dropped.
        let peer = bridge.peer();
        let (endpoint, main, refused, epoch) = (&mut self.endpoint, &mut self.main, &mut self.io.refused, self.epoch);
        for _ in 0..RECV_ROUNDS {
            let now = timestamp(epoch);
            let more = bridge.udp.receive(|_, datagram| {
                if let Some(peer) = peer {
                    send_through(endpoint, main, refused, (peer, DEFAULT_STREAM), datagram, now);
                }
            });
            main.send_pending(self.poll.registry());
            if !more {
                return;
            }
        }
    }

    /// Moves what the endpoint delivered, and what happened to peers, to the next JavaScript
    /// batch; with a receiver-side bridge, deliveries leave by the bridge's socket instead.
    fn collect_deliveries(&mut self) {
        while let Some((peer, event)) = self.endpoint.poll_event() {
            match event {
                PeerEvent::TimedOut => self.batch.push_timeout(peer),
                PeerEvent::Bandwidth { bits_per_second } => self.batch.push_bandwidth(peer, bits_per_second),
            }
        }
        let forward_to = self.bridge.as_ref().and_then(Bridge::forward_to);
        while let Some((from, delivery)) = self.endpoint.poll_delivery() {
            match (forward_to, &mut self.bridge) {
                (Some(to), Some(bridge)) => bridge.udp.queue(to, delivery.payload),
                _ => {
                    if self.batch.full_for(delivery.payload.len()) {
                        self.ring();
                    }
                    self.batch.push(&mut self.sources, from, delivery.stream, &delivery.payload)
                }
            }
        }
    }

    fn read_receive_buffer_drops(&mut self, now: Timestamp) {
        self.main.read_receive_buffer_drops();
        if let Some(bridge) = &mut self.bridge {
            bridge.udp.read_receive_buffer_drops();
        }
        self.drops_read_at = now;
    }

    fn ring(&mut self) {
        if self.batch.is_empty() {
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

    fn collect_transmits(&mut self, now: Timestamp) {
        queue_transmits(&mut self.endpoint, &mut self.main, now);
    }

    fn send_pending(&mut self) {
        self.main.send_pending(self.poll.registry());
        if let Some(bridge) = &mut self.bridge {
            bridge.udp.send_pending(self.poll.registry());
        }
    }
}

/// The protocol's clock: microseconds since the loop started.
fn timestamp(epoch: Instant) -> Timestamp {
    Timestamp::from_micros(epoch.elapsed().as_micros() as u64)
}

/// Hands one message to the endpoint for `to` on its stream and queues what it emits on
/// `main`; a message the protocol refuses is counted in `refused`. `now` is read once per batch
/// of messages by the caller: a clock read per message showed in a busy sender's profile.
fn send_through(endpoint: &mut Endpoint, main: &mut Udp, refused: &mut u64, (to, stream): (SocketAddr, u8), message: &[u8], now: Timestamp) {
    if endpoint.send_on(to, stream, message, now).is_err() {
        *refused += 1;
    }
    queue_transmits(endpoint, main, now);
}

/// Queues on `main` what the endpoint has to send at `now` (the pacer decides how much).
fn queue_transmits(endpoint: &mut Endpoint, main: &mut Udp, now: Timestamp) {
    while let Some((to, transmit)) = endpoint.poll_transmit(now) {
        main.queue_transmit(to, transmit);
    }
}
