//! N-API glue: exposes the Rust core to Node.js. Glue only; the logic lives in the crates
//! it wraps. Shards cross as borrowed typed-array views, so nothing is copied on the way in.

mod args;
mod codec;
mod codec_hot_path;
mod engine;
mod message;
