//! `Engine`: a UDP socket owned by a Rust I/O thread that runs the protocol
//! ([`proto::endpoint::Endpoint`]) and talks to JavaScript in batches only.
//!
//! Data path, socket to callback: the I/O thread ([`io_loop`]) reads datagrams in batches
//! (recvmmsg, GRO), feeds them to the endpoint, collects what it delivers into one
//! [`DeliveryBatch`] (a slab, lengths, sender ids) and rings JavaScript once per batch through
//! a thread-safe function. The other way, JavaScript hands over a batch of messages per
//! `send` call; the thread encodes them and sends with GSO where the kernel has it.

mod backlog;
mod batch;
mod bridge;
mod commands;
mod io_loop;
mod options;
mod peers;
mod recycle;
mod slab;
mod socket;
mod stats;
mod train;
mod udp;

use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;

pub use batch::DeliveryBatch;
use backlog::Backlog;
use commands::{Command, SendBatch};
pub use options::EngineOptions;
use peers::Destinations;
use recycle::Recycler;
pub use stats::EngineStats;
use stats::SharedStats;

use crate::args;

/// Batches waiting for the JavaScript thread; past this the I/O thread drops (and counts)
/// rather than queueing without bound behind a busy event loop.
const DELIVERY_QUEUE: usize = 256;

type Deliver = ThreadsafeFunction<DeliveryBatch, (), DeliveryBatch, Status, false, false, DELIVERY_QUEUE>;

/// The address a socket is bound to.
#[napi(object)]
pub struct BoundAddress {
    pub address: String,
    pub port: u32,
    pub family: String,
}

/// The socket's buffer sizes in bytes, as the kernel reports them.
#[napi(object)]
#[derive(Clone, Copy)]
pub struct BufferSizes {
    pub receive: u32,
    pub send: u32,
}

struct Running {
    buffers: BufferSizes,
    commands: mpsc::Sender<Command>,
    waker: Arc<mio::Waker>,
    thread: Option<JoinHandle<()>>,
    local: SocketAddr,
    bridge: Option<SocketAddr>,
}

/// A protected UDP socket: see the module docs.
#[napi]
pub struct Engine {
    options: options::Config,
    deliver: Option<Deliver>,
    running: Option<Running>,
    destinations: Destinations,
    stats: SharedStats,
    backlog: Arc<Backlog>,
    recycler: Arc<Recycler>,
}

#[napi]
impl Engine {
    /// `onBatch` is called on the JavaScript thread with each batch of delivered messages.
    #[napi(constructor)]
    pub fn new(env: Env, options: EngineOptions, on_batch: Function<DeliveryBatch, ()>) -> Result<Self> {
        let options = options::Config::from_js(options).map_err(|message| args::throw(&env, true, message))?;
        let deliver = on_batch.build_threadsafe_function().callee_handled::<false>().max_queue_size::<DELIVERY_QUEUE>().build()?;
        Ok(Engine {
            options,
            deliver: Some(deliver),
            running: None,
            destinations: Destinations::default(),
            stats: SharedStats::default(),
            backlog: Arc::default(),
            recycler: Arc::default(),
        })
    }

    /// Binds the socket and starts the I/O thread. `host` is a numeric IPv4 or IPv6 address.
    #[napi]
    pub fn bind(&mut self, env: Env, host: String, port: u32) -> Result<BoundAddress> {
        if self.running.is_some() {
            return Err(args::throw(&env, false, "the socket is already bound".into()));
        }
        if self.deliver.is_none() {
            return Err(args::throw(&env, false, "the socket is closed".into()));
        }
        let address = peers::parse(&host, port).map_err(|message| args::throw(&env, true, message))?;
        let socket = socket::open(address, self.options.socket_buffer_bytes)
            .map_err(|e| Error::new(Status::GenericFailure, format!("bind {address}: {e}")))?;
        let local = socket.local_addr()?;
        let buffers = socket::buffer_sizes(&socket)?;
        let bridge = match self.options.bridge {
            Some(bridge) => Some((
                socket::open(bridge.bind, self.options.socket_buffer_bytes)
                    .map_err(|e| Error::new(Status::GenericFailure, format!("bind {}: {e}", bridge.bind)))?,
                bridge.direction,
            )),
            None => None,
        };
        // Taken only now, so a failed bind leaves the engine usable for another try.
        let deliver = self.deliver.take().expect("checked above");
        let (commands, inbox) = mpsc::channel();
        let shared = io_loop::Shared { stats: self.stats.clone(), backlog: self.backlog.clone(), recycler: self.recycler.clone() };
        let io = io_loop::IoLoop::new(socket, bridge, &self.options, inbox, deliver, shared)
            .map_err(|e| Error::new(Status::GenericFailure, format!("bind {address}: {e}")))?;
        let waker = io.waker();
        let bridge = io.bridge_address();
        let thread = std::thread::Builder::new().name("perfect-socket-io".into()).spawn(move || io.run())?;
        self.running = Some(Running { buffers, commands, waker, thread: Some(thread), local, bridge });
        Ok(bound_address(local))
    }

    /// Where the bridge's plain socket is bound (a relay's `udp://` side), once bound.
    #[napi]
    pub fn bridge_address(&self) -> Option<BoundAddress> {
        self.running.as_ref()?.bridge.map(bound_address)
    }

    /// The bound socket's receive and send buffer sizes.
    #[napi]
    pub fn buffer_sizes(&self, env: Env) -> Result<BufferSizes> {
        let running = self.running.as_ref().ok_or_else(|| args::throw(&env, false, "the socket is not bound".into()))?;
        Ok(running.buffers)
    }

    /// The bound address.
    #[napi]
    pub fn address(&self, env: Env) -> Result<BoundAddress> {
        let running = self.running.as_ref().ok_or_else(|| args::throw(&env, false, "the socket is not bound".into()))?;
        Ok(bound_address(running.local))
    }

    /// Interns a destination (numeric host and port) as a small id for [`Engine::send`].
    #[napi]
    pub fn peer(&mut self, env: Env, host: String, port: u32) -> Result<u32> {
        let address = peers::parse(&host, port).map_err(|message| args::throw(&env, true, message))?;
        self.destinations.intern(address).map_err(|message| args::throw(&env, true, message))
    }

    /// Queues a batch of messages: message i is the next `lengths[i]` bytes of `slab`, for
    /// destination `peers[i]` (ids from [`Engine::peer`]) on stream `streams[i]` (default stream 0
    /// without `streams`). The bytes are copied before this
    /// returns, so the caller may reuse `slab` at once.
    #[napi]
    pub fn send(
        &self,
        env: Env,
        slab: Uint8ArraySlice,
        lengths: Uint32ArraySlice,
        peers: Uint32ArraySlice,
        streams: Option<Uint8ArraySlice>,
    ) -> Result<()> {
        let running = self.running.as_ref().ok_or_else(|| args::throw(&env, false, "bind the socket before sending".into()))?;
        let streams = streams.as_deref();
        let batch = SendBatch::new(&slab, &lengths, &peers, streams, &self.destinations, self.recycler.take())
            .map_err(|message| args::throw(&env, true, message))?;
        let messages = batch.messages.len();
        // Counted before the I/O thread can take them, so the backlog never reads negative.
        self.backlog.handed(messages);
        // A closed channel means the I/O thread stopped (its stats say why) and takes nothing.
        if running.commands.send(Command::Send(batch)).is_ok() {
            let _ = running.waker.wake();
        } else {
            self.backlog.taken(messages);
        }
        Ok(())
    }

    /// Messages passed to [`Engine::send`] that the I/O thread has not yet taken into the
    /// protocol: cheap enough to read every event-loop turn.
    #[napi]
    pub fn unsent(&self) -> f64 {
        self.backlog.waiting() as f64
    }

    /// Counters of the socket and the protocol.
    #[napi]
    pub fn stats(&self) -> EngineStats {
        self.stats.snapshot()
    }

    /// Stops the I/O thread (after it sends what is queued) and closes the socket.
    #[napi]
    pub fn close(&mut self) {
        self.deliver = None;
        if let Some(mut running) = self.running.take() {
            let _ = running.commands.send(Command::Close);
            let _ = running.waker.wake();
            if let Some(thread) = running.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// The largest message a socket with these options can send (throws for invalid options).
#[napi]
pub fn max_payload(env: Env, options: EngineOptions) -> Result<u32> {
    let config = options::Config::from_js(options).map_err(|message| args::throw(&env, true, message))?;
    Ok(config.endpoint.max_payload() as u32)
}

fn bound_address(local: SocketAddr) -> BoundAddress {
    BoundAddress {
        address: local.ip().to_string(),
        port: local.port() as u32,
        family: peers::family(local),
    }
}
