//! Background jobs over the stored data, apart from the write path: [`retention`] (expire
//! partitions and old rows, on a schedule inside `serve` or once from the command line),
//! [`archive`] (compressed, verified copies of expired partitions, and their restore),
//! [`erase`] (one person's data, GDPR) and [`anonymize`] (IP addresses in old partitions), the
//! last two rewriting rows page by page through [`rewrite`].

pub mod anonymize;
pub mod archive;
pub mod erase;
pub mod retention;
pub mod rewrite;
