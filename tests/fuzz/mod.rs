//! The parts of the bad-input test (`tests/fuzz.rs`): value pools, the endpoint catalogue,
//! the request generator for each phase, the fixture, and the checks on every answer.

pub mod accepted;
pub mod catalogue;
pub mod check;
pub mod generator;
pub mod pools;
pub mod refused;
pub mod request;
pub mod world;
