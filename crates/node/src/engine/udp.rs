//! One non-blocking UDP socket on the I/O thread: batched reads (recvmmsg, GRO, through
//! quinn-udp) and a send queue drained in GSO trains (see [`super::train`]). The protected socket is one; a relay's
//! plain side (see [`super::bridge`]) is another, so both move datagrams the same way.

use std::collections::VecDeque;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;

use bytes::Bytes;
use mio::{Interest, Registry, Token};
use quinn_udp::{RecvMeta, UdpSockRef, UdpSocketState};
use smallvec::SmallVec;

use super::train;

/// Receive buffers per recvmmsg call.
pub(super) const RECV_BATCH: usize = 32;
/// Bytes per receive buffer: room for a full GRO train of datagrams.
const RECV_BUFFER: usize = 64 * 1024;
/// Datagrams waiting for a full socket send buffer to drain, at most.
pub(super) const SEND_QUEUE: usize = 16 * 1024;
/// Largest GSO train: the kernel's limit on one UDP send.
const GSO_BYTES: usize = 64 * 1024;
/// Most datagrams in one train (the kernel's UDP_MAX_SEGMENTS).
const MAX_TRAIN: usize = 64;
/// Queued datagrams a train may gather from, front first.
const TRAIN_LOOKAHEAD: usize = 256;

/// A datagram waiting to be sent.
struct Queued {
    to: SocketAddr,
    datagram: Bytes,
    /// It may be sent after datagrams queued behind it (see `proto::Transmit::reorderable`).
    reorderable: bool,
}

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
    /// Datagrams the kernel dropped at the socket, its receive buffer full (as last read).
    pub receive_buffer_drops: u64,
}

/// A registered socket, its quinn-udp state and its send queue.
pub(super) struct Udp {
    socket: mio::net::UdpSocket,
    state: UdpSocketState,
    token: Token,
    outgoing: VecDeque<Queued>,
    /// The kernel refused a segmented send: every datagram goes alone.
    gso_refused: bool,
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
            gso_refused: false,
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

    /// Reads the kernel's count of datagrams dropped at the socket into the counters: a system
    /// call, so the loop does it now and then (see `DROPS_EVERY`), not on every turn.
    pub fn read_receive_buffer_drops(&mut self) {
        if let Some(drops) = super::socket::receive_buffer_drops(&self.socket) {
            self.counters.receive_buffer_drops = drops;
        }
    }

    /// Whether the kernel segments for us (UDP GSO).
    pub fn gso(&self) -> bool {
        self.max_segments() > 1
    }

    /// Most datagrams one send may carry: 1 without GSO, or once the kernel refused it.
    fn max_segments(&self) -> usize {
        if self.gso_refused {
            1
        } else {
            self.state.max_gso_segments().min(MAX_TRAIN)
        }
    }

    /// Datagrams waiting to be sent.
    pub fn queued(&self) -> usize {
        self.outgoing.len()
    }

    /// Queues a datagram, to be sent in order; past [`SEND_QUEUE`] the oldest is dropped and
    /// counted.
    pub fn queue(&mut self, to: SocketAddr, datagram: impl Into<Bytes>) {
        self.queue_transmit(to, proto::Transmit::new(datagram));
    }

    /// Queues what the endpoint emitted, which may say it can be sent out of order.
    pub fn queue_transmit(&mut self, to: SocketAddr, transmit: proto::Transmit) {
        if self.outgoing.len() >= SEND_QUEUE {
            self.outgoing.pop_front();
            self.counters.send_queue_drops += 1;
        }
        self.outgoing.push_back(Queued { to, datagram: transmit.datagram, reorderable: transmit.reorderable });
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

    /// Sends queued datagrams, gathering equal-sized ones to one destination into a single GSO
    /// send where the kernel supports it; on a full buffer, waits for writability.
    pub fn send_pending(&mut self, registry: &Registry) {
        while let Some(first) = self.outgoing.front() {
            let (to, size) = (first.to, first.datagram.len());
            let picked = self.pick_train(to, size);
            let segment = (picked.len() > 1).then_some(size as u16);
            let sent = {
                let datagrams: SmallVec<[IoSlice; MAX_TRAIN]> = picked.iter().map(|&i| IoSlice::new(&self.outgoing[i].datagram)).collect();
                train::send(&self.socket, to, &datagrams, segment)
            };
            match sent {
                Ok(bytes) => {
                    self.counters.send_syscalls += 1;
                    self.counters.datagrams_sent += picked.len() as u64;
                    self.counters.bytes_sent += bytes as u64;
                    self.remove(&picked);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.want_writable(registry, true);
                    return;
                }
                // A kernel or device that refuses segmentation (EIO): send one by one from now on.
                Err(e) if segment.is_some() && e.raw_os_error() == Some(libc::EIO) => self.gso_refused = true,
                Err(_) => {
                    // Counted and dropped: UDP senders cannot do better, and the protocol repairs.
                    self.counters.send_errors += 1;
                    self.remove(&picked);
                }
            }
        }
        self.want_writable(registry, false);
    }

    /// The queue positions one send takes, ascending, the front first: datagrams to `to` of
    /// `size` bytes from the next [`TRAIN_LOOKAHEAD`], possibly ended by one shorter, within
    /// the kernel's limits. A train passes over datagrams to other destinations, and over
    /// reorderable ones (REPAIR) of another size, which wait for a train of their own: a
    /// block's DATA and REPAIR differ in size by a few header bytes, so taken strictly in
    /// order every block made two short trains. Any other datagram in the way ends the train.
    fn pick_train(&self, to: SocketAddr, size: usize) -> SmallVec<[usize; MAX_TRAIN]> {
        let max_segments = self.max_segments();
        let mut picked = SmallVec::new();
        picked.push(0);
        if size == 0 {
            // Empty datagrams (a relay forwards what it gets) cannot be segments: one per send.
            return picked;
        }
        for (i, queued) in self.outgoing.iter().enumerate().take(TRAIN_LOOKAHEAD).skip(1) {
            if picked.len() >= max_segments || (picked.len() + 1) * size > GSO_BYTES {
                break;
            }
            let len = queued.datagram.len();
            if queued.to != to {
                continue;
            }
            if len == size || (len < size && len > 0) {
                picked.push(i);
            }
            if len < size {
                break;
            }
            if len > size && !queued.reorderable {
                break;
            }
        }
        picked
    }

    /// Takes the datagrams at `picked` (ascending) out of the queue, keeping the others' order.
    fn remove(&mut self, picked: &[usize]) {
        let Some(&last) = picked.last() else { return };
        let mut kept: SmallVec<[Queued; TRAIN_LOOKAHEAD]> = SmallVec::new();
        let mut picked = picked.iter().peekable();
        for i in 0..=last {
            let entry = self.outgoing.pop_front().expect("picked positions are queued");
            if picked.next_if_eq(&&i).is_none() {
                kept.push(entry);
            }
        }
        for entry in kept.into_iter().rev() {
            self.outgoing.push_front(entry);
        }
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
