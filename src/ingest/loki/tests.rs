//! Decoder tests on fixtures shaped by the shippers' own encoders (tests/fixtures/loki) and on
//! hostile bodies.
