//! Socket options from JavaScript, checked and turned into the endpoint's configuration.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use napi_derive::napi;
use proto::endpoint::{EndpointConfig, Format, MtuConfig, PathConfig, StreamConfig, StreamTable, MAX_STREAM_ID};
use proto::secure::{passphrase_key, EncryptMode, SecurityConfig};
use proto::seed::SeedReceiverConfig;
use proto::stream::{AdaptBounds, BandwidthConfig, CodeKind, ReceiverConfig, Redundancy, SenderConfig};

use super::bridge::Direction;
use super::peers;

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
    /// The code of the repair symbols this socket sends (v1): `'rs'` (Reed-Solomon, default),
    /// `'xor'` (striped XOR parity) or `'lt'` (seed 001's mirrored LT). Whatever it is, the
    /// socket decodes each peer's blocks with the code their REPAIRs name.
    pub code: Option<String>,
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
    /// Bytes a peer's receiver holds at most across its blocks and held-back messages (default
    /// 64 MiB); past it the oldest blocks are evicted.
    pub max_buffered_bytes: Option<f64>,
    /// Bytes of sent data kept per peer for retransmission on NACK (default 32 MiB).
    pub history_bytes: Option<f64>,
    /// SO_SNDBUF / SO_RCVBUF to ask for.
    pub socket_buffer_bytes: Option<u32>,
    /// NACK what FEC cannot rebuild and retransmit on NACK, within the latency budget (v1;
    /// default true).
    pub nack: Option<bool>,
    /// Pace everything the socket sends to at most this many bits per second (0 or absent:
    /// unpaced).
    pub rate_bps: Option<f64>,
    /// Let receiver reports drive the block duration and repair ratio (v1; default true
    /// unless `n` fixes the shape). `k` is then the largest block, `redundancy` and
    /// `blockTimeMs` the starting point.
    pub adaptive: Option<bool>,
    /// The repair ratio adaptation stays within (defaults 0.02 and 0.6).
    pub min_redundancy: Option<f64>,
    pub max_redundancy: Option<f64>,
    /// A relay's plain side, run on the I/O thread (see `bridge.rs`); at most one of the two.
    /// Sender side: plain datagrams read at `host:port` go to the protected peer
    /// `peerHost:peerPort`.
    pub bridge_in: Option<BridgeIn>,
    /// Receiver side: delivered messages leave as plain datagrams for `host:port`.
    pub bridge_out: Option<BridgeOut>,
    /// PING a peer after this long without sending it anything, so NAT bindings stay open
    /// (v1; default 15000, 0: never).
    pub keep_alive_ms: Option<f64>,
    /// Forget a peer, and report it, after this long without a datagram from it or data to it
    /// (default 60000, 0: never).
    pub idle_timeout_ms: Option<f64>,
    /// Path MTU discovery with padded probes (v1; default true).
    pub mtu_probe: Option<bool>,
    /// The largest UDP payload probed: the interface MTU less 28 (IPv4) or 48 (IPv6) bytes of
    /// headers (default 1472, Ethernet over IPv4). Probing starts from 1200.
    pub max_mtu: Option<u32>,
    /// Logical streams besides the default stream 0 (v1; the same at both ends).
    pub streams: Option<Vec<StreamOption>>,
    /// Estimate the path's bandwidth from receiver reports, pace to it (within `rateBps`) and
    /// report changes (v1; default false).
    pub adaptive_rate: Option<bool>,
    /// What to encrypt (v1): `'none'` (default without keys), `'control'` (control packets
    /// encrypted, media authenticated in the clear) or `'all'` (default with a key).
    pub encrypt: Option<String>,
    /// A secret both ends share, 10 to 79 characters (SRT's bounds).
    pub passphrase: Option<String>,
    /// This end's X25519 private key, 64 hex digits, for peers that pin its public key.
    pub private_key: Option<String>,
    /// The public key (64 hex digits) the peers this socket contacts must hold.
    pub peer_public_key: Option<String>,
    /// Handshakes answered per second at most (default 2000).
    pub handshakes_per_second: Option<u32>,
}

/// One logical stream (see `proto::endpoint::StreamConfig`).
#[napi(object)]
#[derive(Clone)]
pub struct StreamOption {
    /// 0 to 127.
    pub id: u32,
    /// Resent until acknowledged, delivered in order (default false: bound by the latency).
    pub reliable: Option<bool>,
    /// 0 (default) is the most important; under congestion higher numbers drop first.
    pub priority: Option<u32>,
    /// How long a message may wait for the pacer before it is dropped (default 100).
    pub max_delay_ms: Option<f64>,
}

/// See [`EngineOptions::bridge_in`]; hosts are numeric.
#[napi(object)]
pub struct BridgeIn {
    pub host: String,
    pub port: u32,
    pub peer_host: String,
    pub peer_port: u32,
}

/// See [`EngineOptions::bridge_out`]; the host is numeric.
#[napi(object)]
pub struct BridgeOut {
    pub host: String,
    pub port: u32,
}

/// A bridge, checked: the socket to bind and which way it carries datagrams.
#[derive(Clone, Copy, Debug)]
pub(super) struct BridgeConfig {
    pub bind: SocketAddr,
    pub direction: Direction,
}

pub(super) struct Config {
    pub endpoint: EndpointConfig,
    pub socket_buffer_bytes: usize,
    pub bridge: Option<BridgeConfig>,
}

fn bridge(options: &EngineOptions) -> Result<Option<BridgeConfig>, String> {
    let unspecified = |to: SocketAddr| -> SocketAddr {
        let ip = if to.is_ipv4() { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { IpAddr::V6(Ipv6Addr::UNSPECIFIED) };
        SocketAddr::new(ip, 0)
    };
    match (&options.bridge_in, &options.bridge_out) {
        (Some(_), Some(_)) => Err("give bridgeIn or bridgeOut, not both".into()),
        (Some(b), None) => Ok(Some(BridgeConfig {
            bind: peers::parse(&b.host, b.port)?,
            direction: Direction::Into(peers::parse(&b.peer_host, b.peer_port)?),
        })),
        (None, Some(b)) => {
            let to = peers::parse(&b.host, b.port)?;
            Ok(Some(BridgeConfig { bind: unspecified(to), direction: Direction::OutTo(to) }))
        }
        (None, None) => Ok(None),
    }
}

const DEFAULT_K: u32 = 16;
/// The largest block when adaptation sizes blocks by time: room for a 60 ms block of a
/// 12 Mbit/s stream of 1316-byte datagrams.
const DEFAULT_ADAPTIVE_K: u32 = 64;
const DEFAULT_REDUNDANCY: f64 = 0.25;

/// A random number from the standard library's per-process random hash keys: enough to keep
/// two runs of a sender apart, without a dependency for it.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    hasher.finish() as u32
}

/// A period that 0 turns off, up to an hour.
fn optional_period(name: &str, ms: Option<f64>, default: Duration) -> Result<Option<Duration>, String> {
    match ms {
        None => Ok(Some(default)),
        Some(0.0) => Ok(None),
        Some(ms) if ms.is_finite() && ms > 0.0 && ms <= 3_600_000.0 => Ok(Some(Duration::from_secs_f64(ms / 1000.0))),
        Some(ms) => Err(format!("{name} must be a number of milliseconds from 0 (off) to 3600000, got {ms}")),
    }
}

fn path(options: &EngineOptions) -> Result<PathConfig, String> {
    let defaults = PathConfig::default();
    let mtu = match options.mtu_probe.unwrap_or(true) {
        false => None,
        true => {
            let config = MtuConfig { max: options.max_mtu.map_or(MtuConfig::default().max, |m| m as usize), ..MtuConfig::default() };
            if !(config.min..=MtuConfig::MAX_DATAGRAM).contains(&config.max) {
                return Err(format!("maxMtu must be an integer from {} to {}, got {}", config.min, MtuConfig::MAX_DATAGRAM, config.max));
            }
            Some(config)
        }
    };
    let path = PathConfig {
        keep_alive: optional_period("keepAliveMs", options.keep_alive_ms, defaults.keep_alive.expect("on by default"))?,
        idle_timeout: optional_period("idleTimeoutMs", options.idle_timeout_ms, defaults.idle_timeout.expect("on by default"))?,
        mtu,
    };
    path.validate().map_err(|e| e.to_string().replace("idle_timeout", "idleTimeoutMs").replace("keep_alive", "keepAliveMs"))?;
    Ok(path)
}

fn streams(options: &EngineOptions) -> Result<StreamTable, String> {
    let mut configs = Vec::new();
    for (i, stream) in options.streams.iter().flatten().enumerate() {
        let id = u8::try_from(stream.id).ok().filter(|&id| id <= MAX_STREAM_ID);
        let id = id.ok_or_else(|| format!("streams[{i}].id must be an integer from 0 to 127, got {}", stream.id))?;
        let priority = u8::try_from(stream.priority.unwrap_or(0))
            .map_err(|_| format!("streams[{i}].priority must be an integer from 0 to 255, got {:?}", stream.priority))?;
        let mut config = if stream.reliable.unwrap_or(false) { StreamConfig::reliable(id, priority) } else { StreamConfig::deadline(id, priority) };
        config.max_delay = duration(&format!("streams[{i}].maxDelayMs"), stream.max_delay_ms, config.max_delay)?;
        configs.push(config);
    }
    StreamTable::new(configs).map_err(|e| e.to_string())
}

fn duration(name: &str, ms: Option<f64>, default: Duration) -> Result<Duration, String> {
    match ms {
        None => Ok(default),
        Some(ms) if ms.is_finite() && ms > 0.0 && ms <= 60_000.0 => Ok(Duration::from_secs_f64(ms / 1000.0)),
        Some(ms) => Err(format!("{name} must be a number of milliseconds above 0 and at most 60000, got {ms}")),
    }
}

/// The repair code: "rs", "xor" or "lt" (the names `CodeKind` reads; its long names too).
fn security(options: &EngineOptions) -> Result<Option<SecurityConfig>, String> {
    let keyed = options.passphrase.is_some() || options.private_key.is_some() || options.peer_public_key.is_some();
    let mode = match (options.encrypt.as_deref(), keyed) {
        (None, false) | (Some("none"), false) => return Ok(None),
        (Some("none"), true) => return Err("encrypt is 'none' but a passphrase or key is given: drop one or the other".into()),
        (Some("control"), true) => EncryptMode::Control,
        (Some("all") | None, true) => EncryptMode::All,
        (Some("control" | "all"), false) => return Err("encrypt needs a passphrase, privateKey or peerPublicKey".into()),
        (Some(other), _) => return Err(format!("encrypt must be 'none', 'control' or 'all', got {other:?}")),
    };
    let psk = options.passphrase.as_deref().map(passphrase_key).transpose().map_err(|e| e.to_string())?;
    let mut config = SecurityConfig {
        psk,
        private_key: options.private_key.as_deref().map(|hex| key("privateKey", hex)).transpose()?,
        peer_public_key: options.peer_public_key.as_deref().map(|hex| key("peerPublicKey", hex)).transpose()?,
        ..SecurityConfig::new(mode)
    };
    if let Some(rate) = options.handshakes_per_second {
        config.handshakes_per_second = rate;
    }
    config.validate().map_err(|e| e.to_string())?;
    Ok(Some(config))
}

/// A byte count from JavaScript: a whole number from 64 KiB to 4 GiB.
fn bytes(name: &str, value: Option<f64>, default: usize) -> Result<usize, String> {
    let Some(value) = value else { return Ok(default) };
    if !(value.fract() == 0.0 && (65_536.0..=4_294_967_296.0).contains(&value)) {
        return Err(format!("{name} must be a whole number of bytes from 65536 to 4294967296, got {value}"));
    }
    Ok(value as usize)
}

/// A 32-byte key written as 64 hex digits.
fn key(name: &str, hex: &str) -> Result<[u8; 32], String> {
    let bad = || format!("{name} must be 64 hex digits (an X25519 key), got {} characters", hex.len());
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(key)
}

fn code(options: &EngineOptions) -> Result<CodeKind, String> {
    match options.code.as_deref() {
        None => Ok(CodeKind::default()),
        Some(name) => name.parse().map_err(|_| format!("code must be 'rs', 'xor' or 'lt', got {name:?}")),
    }
}

fn bounds(options: &EngineOptions) -> Result<AdaptBounds, String> {
    let defaults = AdaptBounds::default();
    let min_ratio = options.min_redundancy.unwrap_or(defaults.min_ratio);
    let max_ratio = options.max_redundancy.unwrap_or(defaults.max_ratio);
    if !(min_ratio > 0.0 && min_ratio <= max_ratio && max_ratio <= 3.0) {
        return Err(format!(
            "minRedundancy and maxRedundancy must satisfy 0 < min <= max <= 3, got {min_ratio} and {max_ratio}"
        ));
    }
    Ok(AdaptBounds { min_ratio, max_ratio })
}

impl Config {
    pub fn from_js(options: EngineOptions) -> Result<Self, String> {
        let adaptive = options.adaptive.unwrap_or(options.n.is_none());
        let default_k = if adaptive && options.format.as_deref() != Some("seed") { DEFAULT_ADAPTIVE_K } else { DEFAULT_K };
        let k = options.k.unwrap_or(default_k) as usize;
        let latency = duration("latencyMs", options.latency_ms, Duration::from_millis(120))?;
        let max_blocks = options.max_blocks_per_peer.unwrap_or(256) as usize;
        let format = match options.format.as_deref().unwrap_or("v1") {
            "v1" => {
                let redundancy = match (options.n, options.redundancy) {
                    (Some(_), Some(_)) => return Err("give n or redundancy, not both".into()),
                    (Some(n), None) => Redundancy::Fixed { k, n: n as usize },
                    (None, ratio) => Redundancy::Ratio { k, ratio: ratio.unwrap_or(DEFAULT_REDUNDANCY) },
                };
                let nack = options.nack.unwrap_or(true);
                let sender = SenderConfig {
                    redundancy,
                    code: code(&options)?,
                    // A restarted sender must not reuse the numbers its receiver just saw (they
                    // would be dropped as redundant, and the order would wait out a budget).
                    first_block: random_u32(),
                    // Adapting, the first blocks (before the receiver's reports say more) span a
                    // quarter of the budget; fixed, 5 ms keeps repairs close behind their sources.
                    block_time: duration("blockTimeMs", options.block_time_ms, if adaptive { latency / 4 } else { Duration::from_millis(5) })?,
                    latency,
                    nack,
                    adapt: adaptive.then(|| bounds(&options)).transpose()?,
                    bandwidth: options.adaptive_rate.unwrap_or(false).then(BandwidthConfig::default),
                    history_bytes: bytes("historyBytes", options.history_bytes, SenderConfig::default().history_bytes)?,
                    ..SenderConfig::default()
                };
                let receiver = ReceiverConfig {
                    max_blocks,
                    block_deadline: latency,
                    nack,
                    ordered: options.ordered.unwrap_or(false),
                    max_buffered_bytes: bytes("maxBufferedBytes", options.max_buffered_bytes, ReceiverConfig::default().max_buffered_bytes)?,
                    ..ReceiverConfig::default()
                };
                Format::V1 { sender, receiver }
            }
            "seed" => {
                if code(&options)? != CodeKind::ReedSolomon {
                    return Err("code must be 'rs' or left out with format 'seed' (seed 000 is Reed-Solomon only)".into());
                }
                let n = options.n.ok_or("the seed format needs n (and k)")? as usize;
                let receiver = SeedReceiverConfig { max_batches: max_blocks, deadline: Some(latency), ..SeedReceiverConfig::default() };
                Format::Seed { k, n, receiver }
            }
            other => return Err(format!("format must be 'v1' or 'seed', got {other:?}")),
        };
        let rate = options.rate_bps.unwrap_or(0.0);
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(format!("rateBps must be a number of bits per second, 0 or more, got {rate}"));
        }
        let endpoint = EndpointConfig {
            format,
            max_peers: options.max_peers.unwrap_or(1024) as usize,
            pace_bits_per_second: rate as u64,
            path: path(&options)?,
            streams: streams(&options)?,
            security: security(&options)?,
        };
        endpoint.validate().map_err(|e| e.to_string())?;
        Ok(Config {
            endpoint,
            socket_buffer_bytes: options.socket_buffer_bytes.unwrap_or(4 << 20) as usize,
            bridge: bridge(&options)?,
        })
    }
}
