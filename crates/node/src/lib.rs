//! N-API glue: exposes the Rust core to Node.js. Glue only; the logic lives in the crates
//! it wraps. Shards cross as borrowed typed-array views, so nothing is copied on the way in.

// The exports are called from JavaScript, which `cargo test` cannot see: without this every
// #[napi] function reads as dead code in the test build.
#![cfg_attr(test, allow(dead_code))]

mod args;
mod codec;
mod codec_hot_path;
mod engine;
mod message;
mod keys;
