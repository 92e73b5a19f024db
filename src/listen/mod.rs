//! Between the sockets and the services: what clients may hold of the listeners
//! (`listen.limits`). HTTP connections are capped and driven through hyper-util's server with a
//! header-read and an idle timeout ([`serve_http`]); request bodies are read under a minimum
//! rate and one byte budget for all of them ([`admit_bodies`]); the gRPC listener gets the same
//! cap and what tonic offers ([`grpc`]).

mod activity;
mod body;
mod connection;
pub mod exposure;
pub mod grpc;

pub use body::{BodyAdmission, BodyRefused, admit_bodies};
pub use connection::serve_http;
