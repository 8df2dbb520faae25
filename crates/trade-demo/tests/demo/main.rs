//! The demo data's tests, in one binary: the seeded world and its bot through the API
//! (`world`), bulk seeding and the `trade-demo seed` command (`seed`). With
//! `TRADE_TEST_POSTGRES_URL` set, they run on PostgreSQL (`./dev test` runs this binary
//! on both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod seed;
mod world;
