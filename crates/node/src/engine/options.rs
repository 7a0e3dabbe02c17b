//! Socket options from JavaScript, checked and turned into the endpoint's configuration.

use std::time::Duration;

use napi_derive::napi;
use proto::endpoint::{EndpointConfig, Format};
use proto::seed::SeedReceiverConfig;
use proto::stream::{ReceiverConfig, Redundancy, SenderConfig};

/// Options for [`super::Engine`]; every field optional.
#[napi(object)]
#[derive(Default)]
pub struct EngineOptions {
    /// `'v1'` (ours, default) or `'seed'` (seed 000's header, zfec fragments).
    pub format: Option<String>,
    /// Sources per block (v1) or fragments per message (seed).
    pub k: Option<u32>,
    /// Symbols per block in all; with `k`, a fixed shape.
    pub n: Option<u32>,
    /// Repair symbols per source symbol (v1, instead of `n`), e.g. 0.25.
    pub redundancy: Option<f64>,
    /// A block closes this long after its first symbol even if short of k (v1).
    pub block_time_ms: Option<f64>,
    /// How long a block may take to complete at the receiver before its gaps count lost.
    pub latency_ms: Option<f64>,
    /// Deliver each peer's messages in the order sent, holding later ones back (at most
    /// `latencyMs`) while an earlier one may still be repaired (v1). Default false: each
    /// message as soon as it is there, as UDP sockets do.
    pub ordered: Option<bool>,
    /// Peers tracked at once; the least recently active is dropped past it.
    pub max_peers: Option<u32>,
    /// Blocks in flight per peer at the receiver.
    pub max_blocks_per_peer: Option<u32>,
    /// SO_SNDBUF / SO_RCVBUF to ask for.
    pub socket_buffer_bytes: Option<u32>,
}

pub(super) struct Config {
    pub endpoint: EndpointConfig,
    pub socket_buffer_bytes: usize,
}

const DEFAULT_K: u32 = 16;
const DEFAULT_REDUNDANCY: f64 = 0.25;

/// A random number from the standard library's per-process random hash keys: enough to keep
/// two runs of a sender apart, without a dependency for it.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    hasher.finish() as u32
}

fn duration(name: &str, ms: Option<f64>, default: Duration) -> Result<Duration, String> {
    match ms {
        None => Ok(default),
        Some(ms) if ms.is_finite() && ms > 0.0 && ms <= 60_000.0 => Ok(Duration::from_secs_f64(ms / 1000.0)),
        Some(ms) => Err(format!("{name} must be a number of milliseconds above 0 and at most 60000, got {ms}")),
    }
}

impl Config {
    pub fn from_js(options: EngineOptions) -> Result<Self, String> {
        let k = options.k.unwrap_or(DEFAULT_K) as usize;
        let latency = duration("latencyMs", options.latency_ms, Duration::from_millis(120))?;
        let max_blocks = options.max_blocks_per_peer.unwrap_or(256) as usize;
        let format = match options.format.as_deref().unwrap_or("v1") {
            "v1" => {
                let redundancy = match (options.n, options.redundancy) {
                    (Some(_), Some(_)) => return Err("give n or redundancy, not both".into()),
                    (Some(n), None) => Redundancy::Fixed { k, n: n as usize },
                    (None, ratio) => Redundancy::Ratio { k, ratio: ratio.unwrap_or(DEFAULT_REDUNDANCY) },
                };
                let sender = SenderConfig {
                    redundancy,
                    // A restarted sender must not reuse the numbers its receiver just saw (they
                    // would be dropped as redundant, and the order would wait out a budget).
                    first_block: random_u32(),
                    block_time: duration("blockTimeMs", options.block_time_ms, Duration::from_millis(5))?,
                    ..SenderConfig::default()
                };
                let receiver = ReceiverConfig {
                    max_blocks,
                    block_deadline: latency,
                    ordered: options.ordered.unwrap_or(false),
                    ..ReceiverConfig::default()
                };
                Format::V1 { sender, receiver }
            }
            "seed" => {
                let n = options.n.ok_or("the seed format needs n (and k)")? as usize;
                let receiver = SeedReceiverConfig { max_batches: max_blocks, deadline: Some(latency), ..SeedReceiverConfig::default() };
                Format::Seed { k, n, receiver }
            }
            other => return Err(format!("format must be 'v1' or 'seed', got {other:?}")),
        };
        let endpoint = EndpointConfig { format, max_peers: options.max_peers.unwrap_or(1024) as usize };
        endpoint.validate().map_err(|e| e.to_string())?;
        Ok(Config { endpoint, socket_buffer_bytes: options.socket_buffer_bytes.unwrap_or(4 << 20) as usize })
    }
}
