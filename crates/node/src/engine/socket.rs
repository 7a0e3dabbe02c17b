//! The UDP socket: opening it (non-blocking, large buffers, ready for quinn-udp's batched
//! calls), and reading what the kernel dropped at it.

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

/// Datagrams the kernel dropped at `socket` since it opened, because its receive buffer was
/// full (Linux's `SO_MEMINFO`; `None` where the kernel does not tell). The protocol cannot see
/// these apart from loss on the path: this is how a receiver that does not keep up shows.
pub(super) fn receive_buffer_drops(socket: &mio::net::UdpSocket) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        const DROPS: usize = libc::SK_MEMINFO_DROPS as usize;
        let mut meminfo = [0u32; DROPS + 1];
        let mut len = std::mem::size_of_val(&meminfo) as libc::socklen_t;
        // SAFETY: the kernel writes at most `len` bytes into `meminfo` and says how many.
        let status = unsafe { libc::getsockopt(socket.as_raw_fd(), libc::SOL_SOCKET, libc::SO_MEMINFO, meminfo.as_mut_ptr().cast(), &mut len) };
        (status == 0 && len as usize == std::mem::size_of_val(&meminfo)).then(|| u64::from(meminfo[DROPS]))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = socket;
        None
    }
}
