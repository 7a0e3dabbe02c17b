//! One `sendmsg` of a train of datagrams to one destination, gathered from their own buffers.
//!
//! With UDP GSO the kernel cuts the train into datagrams of `segment` bytes (the last may be
//! shorter), so a train of up to 64 datagrams costs one system call and no copy in user
//! space: the iovecs point at the datagrams as queued. quinn-udp's send takes one contiguous
//! buffer, which cost a copy of every byte sent; quinn-udp still reads for us, and tells us
//! how many segments the kernel accepts.

use std::io::{self, IoSlice};
use std::mem::size_of;
use std::net::SocketAddr;

use socket2::{MsgHdr, SockAddr, SockRef};

/// Room for one control message carrying a u16, aligned as `cmsghdr` must be.
#[repr(C, align(8))]
struct Control([u8; 32]);

/// Sends `datagrams` to `to` in one call: as GSO segments of `segment` bytes when given (every
/// datagram but the last exactly that long), else as one datagram made of all the slices.
pub(super) fn send(socket: &mio::net::UdpSocket, to: SocketAddr, datagrams: &[IoSlice<'_>], segment: Option<u16>) -> io::Result<usize> {
    let address = SockAddr::from(to);
    let mut control = Control([0; 32]);
    let mut message = MsgHdr::new().with_addr(&address).with_buffers(datagrams);
    if let Some(segment) = segment {
        message = message.with_control(segment_control(&mut control, segment));
    }
    SockRef::from(socket).sendmsg(&message, 0)
}

/// Writes the `UDP_SEGMENT` control message into `control` and returns its bytes.
fn segment_control(control: &mut Control, segment: u16) -> &[u8] {
    // SAFETY: `Control` is aligned for `cmsghdr` and larger than CMSG_SPACE(2) (24 bytes on
    // 64-bit Linux), so the header and its data lie inside the buffer.
    unsafe {
        let header = control.0.as_mut_ptr().cast::<libc::cmsghdr>();
        (*header).cmsg_len = libc::CMSG_LEN(size_of::<u16>() as u32) as _;
        (*header).cmsg_level = libc::SOL_UDP;
        (*header).cmsg_type = libc::UDP_SEGMENT;
        libc::CMSG_DATA(header).cast::<u16>().write_unaligned(segment);
        let space = libc::CMSG_SPACE(size_of::<u16>() as u32) as usize;
        &control.0[..space]
    }
}
