//! One non-blocking UDP socket on the I/O thread: batched reads (recvmmsg, GRO) and a send
//! queue drained in GSO trains, through quinn-udp. The protected socket is one; a relay's
//! plain side (see [`super::bridge`]) is another, so both move datagrams the same way.

use std::collections::VecDeque;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;

use bytes::Bytes;
use mio::{Interest, Registry, Token};
use quinn_udp::{RecvMeta, Transmit, UdpSockRef, UdpSocketState};

/// Receive buffers per recvmmsg call.
pub(super) const RECV_BATCH: usize = 32;
/// Bytes per receive buffer: room for a full GRO train of datagrams.
const RECV_BUFFER: usize = 64 * 1024;
/// Datagrams waiting for a full socket send buffer to drain, at most.
pub(super) const SEND_QUEUE: usize = 16 * 1024;
/// Largest GSO train: the kernel's limit on one UDP send.
const GSO_BYTES: usize = 64 * 1024;

/// What a socket's reads and writes came to.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct UdpCounters {
    pub datagrams_sent: u64,
    pub bytes_sent: u64,
    pub send_syscalls: u64,
    /// Send failures other than a full socket buffer (counted, never thrown).
    pub send_errors: u64,
    /// Datagrams dropped because the send queue stayed full.
    pub send_queue_drops: u64,
    pub datagrams_received: u64,
    pub bytes_received: u64,
    pub recv_syscalls: u64,
}

/// A registered socket, its quinn-udp state and its send queue.
pub(super) struct Udp {
    socket: mio::net::UdpSocket,
    state: UdpSocketState,
    token: Token,
    outgoing: VecDeque<(SocketAddr, Bytes)>,
    /// Where a GSO train's datagrams are joined for one send; kept, as a 64 KiB allocation
    /// per send showed in a busy sender's profile.
    train: Vec<u8>,
    writable_wanted: bool,
    buffers: Vec<Vec<u8>>,
    meta: [RecvMeta; RECV_BATCH],
    /// The last read stopped before the socket was empty. mio is edge-triggered: no new
    /// wake-up comes for data already queued, so the loop must come back without waiting
    /// (else a burst that fills the buffer leaves the socket deaf for good).
    pub unread: bool,
    pub counters: UdpCounters,
}

impl Udp {
    pub fn register(mut socket: mio::net::UdpSocket, registry: &Registry, token: Token) -> io::Result<Self> {
        let state = UdpSocketState::new(UdpSockRef::from(&socket))?;
        registry.register(&mut socket, token, Interest::READABLE)?;
        Ok(Udp {
            socket,
            state,
            token,
            outgoing: VecDeque::new(),
            train: Vec::with_capacity(GSO_BYTES),
            writable_wanted: false,
            buffers: vec![vec![0u8; RECV_BUFFER]; RECV_BATCH],
            meta: [RecvMeta::default(); RECV_BATCH],
            unread: false,
            counters: UdpCounters::default(),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Whether the kernel segments for us (UDP GSO).
    pub fn gso(&self) -> bool {
        self.state.max_gso_segments() > 1
    }

    /// Datagrams waiting to be sent.
    pub fn queued(&self) -> usize {
        self.outgoing.len()
    }

    /// Queues a datagram; past [`SEND_QUEUE`] the oldest is dropped and counted.
    pub fn queue(&mut self, to: SocketAddr, datagram: impl Into<Bytes>) {
        if self.outgoing.len() >= SEND_QUEUE {
            self.outgoing.pop_front();
            self.counters.send_queue_drops += 1;
        }
        self.outgoing.push_back((to, datagram.into()));
    }

    /// One recvmmsg: calls `each` with every datagram read (GRO trains split), and returns
    /// whether the socket may hold more. Sets [`Self::unread`] accordingly.
    pub fn receive(&mut self, mut each: impl FnMut(SocketAddr, &[u8])) -> bool {
        let mut slices: Vec<IoSliceMut> = self.buffers.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let count = match self.state.recv(UdpSockRef::from(&self.socket), &mut slices, &mut self.meta) {
            Ok(count) => count,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.unread = false;
                return false;
            }
            // Interrupted, or an ICMP error (connection refused from a closed peer port) that
            // says nothing about our socket: try again.
            Err(_) => {
                self.unread = true;
                return true;
            }
        };
        drop(slices);
        self.counters.recv_syscalls += 1;
        for (m, buffer) in self.meta.iter().zip(&self.buffers).take(count) {
            let stride = m.stride.max(1);
            // An empty datagram is still a datagram (chunks() of nothing yields nothing).
            let datagrams = buffer[..m.len].chunks(stride).chain((m.len == 0).then_some(&buffer[..0]));
            for datagram in datagrams {
                self.counters.datagrams_received += 1;
                self.counters.bytes_received += datagram.len() as u64;
                each(m.addr, datagram);
            }
        }
        self.unread = true;
        true
    }

    /// Sends queued datagrams, grouping runs of equal-sized ones to one destination into a
    /// single GSO send where the kernel supports it; on a full buffer, waits for writability.
    pub fn send_pending(&mut self, registry: &Registry) {
        let max_segments = self.state.max_gso_segments();
        let mut train = std::mem::take(&mut self.train);
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
                    self.counters.send_syscalls += 1;
                    self.counters.datagrams_sent += count as u64;
                    self.counters.bytes_sent += train.len() as u64;
                    self.outgoing.drain(..count);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.train = train;
                    self.want_writable(registry, true);
                    return;
                }
                Err(_) => {
                    // Counted and dropped: UDP senders cannot do better, and the protocol repairs.
                    self.counters.send_errors += 1;
                    self.outgoing.drain(..count);
                }
            }
        }
        self.train = train;
        self.want_writable(registry, false);
    }

    fn want_writable(&mut self, registry: &Registry, wanted: bool) {
        if wanted == self.writable_wanted {
            return;
        }
        let interest = if wanted { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
        if registry.reregister(&mut self.socket, self.token, interest).is_ok() {
            self.writable_wanted = wanted;
        }
    }
}
