//! Peer addresses: parsing, and the small ids that stand for them across the N-API boundary.

use std::net::{IpAddr, SocketAddr};

/// Addresses hashed with foldhash: SipHash showed in a busy receiver's profile (a lookup per
/// delivered message); both tables are capped, so a chosen collision costs a bounded probe.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Destinations JavaScript may name by id; bounded, since ids are never reused.
const MAX_DESTINATIONS: usize = 1 << 16;

/// A numeric host and port as a socket address.
pub(super) fn parse(host: &str, port: u32) -> Result<SocketAddr, String> {
    let ip: IpAddr = host.trim_start_matches('[').trim_end_matches(']').parse().map_err(|_| {
        format!("host must be a numeric IPv4 or IPv6 address, got {host:?}")
    })?;
    let port = u16::try_from(port).map_err(|_| format!("port must be 0 to 65535, got {port}"))?;
    Ok(SocketAddr::new(ip, port))
}

/// The address family as node:dgram names it.
pub(super) fn family(address: SocketAddr) -> String {
    if address.is_ipv4() { "IPv4" } else { "IPv6" }.into()
}

/// Interned destinations for sending.
#[derive(Default)]
pub(super) struct Destinations {
    ids: HashMap<SocketAddr, u32>,
    addresses: Vec<SocketAddr>,
}

impl Destinations {
    pub fn intern(&mut self, address: SocketAddr) -> Result<u32, String> {
        if let Some(&id) = self.ids.get(&address) {
            return Ok(id);
        }
        if self.addresses.len() >= MAX_DESTINATIONS {
            return Err(format!("at most {MAX_DESTINATIONS} distinct destinations per socket"));
        }
        let id = self.addresses.len() as u32;
        self.addresses.push(address);
        self.ids.insert(address, id);
        Ok(id)
    }

    pub fn get(&self, id: u32) -> Option<SocketAddr> {
        self.addresses.get(id as usize).copied()
    }
}

/// Ids for the senders of delivered messages, announced to JavaScript the first time each is
/// used. Bounded: when full it starts over, announcing again, with ids that keep increasing.
#[derive(Default)]
pub(super) struct Sources {
    ids: HashMap<SocketAddr, u32>,
    next: u32,
}

impl Sources {
    /// The id of `address`, and whether this is its first use.
    pub fn id(&mut self, address: SocketAddr) -> (u32, bool) {
        if let Some(&id) = self.ids.get(&address) {
            return (id, false);
        }
        if self.ids.len() >= MAX_DESTINATIONS {
            self.ids.clear();
        }
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.ids.insert(address, id);
        (id, true)
    }
}
