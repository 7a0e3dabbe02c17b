//! N-API glue: exposes the Rust core to Node.js. Glue only; the logic lives in the crates
//! it wraps. Shards cross as borrowed typed-array views, so nothing is copied on the way in.

// The exports are called from JavaScript, which `cargo test` cannot see: without this every
// #[napi] function reads as dead code in the test build.
#![cfg_attr(test, allow(dead_code))]

/// The I/O thread allocates and frees a datagram-sized buffer or two per message, often across
/// threads (a send batch is allocated on the JavaScript thread and freed on the I/O thread).
/// glibc's allocator spent a fifth of a busy sender's CPU on that (consolidating and trimming
/// its heap); mimalloc's per-thread free lists do not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod codec;
mod codec_hot_path;
mod engine;
mod message;
mod keys;
