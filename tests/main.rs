//! Integration tests: the real server on random ports against a fresh PostgreSQL database each.

mod api;
