//! The UDP socket: opening it (non-blocking, large buffers, ready for quinn-udp's batched
//! calls), and reading its buffer sizes and what the kernel dropped at it.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

use super::BufferSizes;

pub(super) fn open(address: SocketAddr, buffer_bytes: usize) -> io::Result<mio::net::UdpSocket> {
    let socket = Socket::new(Domain::for_address(address), Type::DGRAM, Some(Protocol::UDP))?;
    if address.is_ipv6() {
        // Dual-stack where the OS allows it, as node's dgram does for 'udp6'.
        let _ = socket.set_only_v6(false);
    }
    // Best effort: the kernel caps these at net.core.[rw]mem_max (208 KiB on many
    // distributions), unless the process may exceed it (see `force_buffer_sizes`).
    let _ = socket.set_recv_buffer_size(buffer_bytes);
    let _ = socket.set_send_buffer_size(buffer_bytes);
    force_buffer_sizes(&socket, buffer_bytes);
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    Ok(mio::net::UdpSocket::from_std(socket.into()))
}

/// The buffer sizes the kernel gave `socket`, as it reports them (Linux doubles what is asked,
/// for its own overhead).
pub(super) fn buffer_sizes(socket: &mio::net::UdpSocket) -> io::Result<BufferSizes> {
    let socket = socket2::SockRef::from(socket);
    let clamp = |bytes: usize| u32::try_from(bytes).unwrap_or(u32::MAX);
    Ok(BufferSizes { receive: clamp(socket.recv_buffer_size()?), send: clamp(socket.send_buffer_size()?) })
}

/// Where the kernel capped a buffer below what was asked, asks again with `SO_RCVBUFFORCE` /
/// `SO_SNDBUFFORCE`, which a process with `CAP_NET_ADMIN` (root in a container, a service given
/// the capability) may use to exceed the cap, as quic-go does; elsewhere the cap stays. A
/// receiver's buffer is what absorbs the moments its thread is not scheduled.
fn force_buffer_sizes(socket: &Socket, buffer_bytes: usize) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // Linux grants min(asked, cap) and reports double that: less than double means capped.
        let capped = |size: io::Result<usize>| size.is_ok_and(|size| size < buffer_bytes.saturating_mul(2));
        let wanted = libc::c_int::try_from(buffer_bytes).unwrap_or(libc::c_int::MAX);
        let force = |option: libc::c_int| {
            // SAFETY: `wanted` outlives the call and its size is passed; failure is harmless.
            unsafe {
                libc::setsockopt(socket.as_raw_fd(), libc::SOL_SOCKET, option, (&raw const wanted).cast(), std::mem::size_of_val(&wanted) as libc::socklen_t)
            };
        };
        if capped(socket.recv_buffer_size()) {
            force(libc::SO_RCVBUFFORCE);
        }
        if capped(socket.send_buffer_size()) {
            force(libc::SO_SNDBUFFORCE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (socket, buffer_bytes);
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
