//! Opening the UDP socket: non-blocking, large buffers, ready for quinn-udp's batched calls.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

pub(super) fn open(address: SocketAddr, buffer_bytes: usize) -> io::Result<mio::net::UdpSocket> {
    let socket = Socket::new(Domain::for_address(address), Type::DGRAM, Some(Protocol::UDP))?;
    if address.is_ipv6() {
        // Dual-stack where the OS allows it, as node's dgram does for 'udp6'.
        let _ = socket.set_only_v6(false);
    }
    // Best effort: the kernel caps these at net.core.[rw]mem_max.
    let _ = socket.set_recv_buffer_size(buffer_bytes);
    let _ = socket.set_send_buffer_size(buffer_bytes);
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    Ok(mio::net::UdpSocket::from_std(socket.into()))
}
