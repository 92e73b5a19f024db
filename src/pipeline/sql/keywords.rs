//! The SQL words fingerprints and operations know: keywords to upper-case and the statement
//! operations that may become metric labels.

/// Keywords upper-cased in fingerprints; a `-` after one of them starts a negative number.
#[rustfmt::skip]
pub const KEYWORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "IN", "INSERT", "INTO", "VALUES", "UPDATE", "SET",
    "DELETE", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "ON", "USING", "GROUP",
    "BY", "ORDER", "LIMIT", "OFFSET", "FETCH", "AS", "NOT", "NULL", "IS", "LIKE", "ILIKE",
    "BETWEEN", "HAVING", "UNION", "INTERSECT", "EXCEPT", "ALL", "ANY", "DISTINCT", "RETURNING",
    "WITH", "RECURSIVE", "CASE", "WHEN", "THEN", "ELSE", "END", "ASC", "DESC", "EXISTS", "TRUE",
    "FALSE", "CONFLICT", "DO", "NOTHING", "FOR", "NOWAIT", "LATERAL", "OVER", "PARTITION",
    "INTERVAL", "CAST", "NULLS", "CALL", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "CREATE",
    "ALTER", "DROP", "TABLE", "TRUNCATE", "MERGE", "EXPLAIN", "GRANT", "REVOKE", "VACUUM",
    "PREPARE", "EXECUTE", "DEALLOCATE",
];

/// The canonical upper-case keyword for a word, if it is one.
pub fn keyword(word: &str) -> Option<&'static str> {
    KEYWORDS
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(word))
}

/// Every operation [`operation`](super::operation) returns besides `OTHER`: the metric label
/// values.
#[rustfmt::skip]
pub const OPERATIONS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "WITH", "CALL", "EXEC",
    "EXECUTE", "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "CREATE", "ALTER",
    "DROP", "TRUNCATE", "EXPLAIN", "SHOW", "SET", "RESET", "GRANT", "REVOKE", "COPY", "VACUUM",
    "ANALYZE", "LISTEN", "NOTIFY", "UNLISTEN", "PREPARE", "DEALLOCATE", "DECLARE", "FETCH",
    "CLOSE", "LOCK", "VALUES", "TABLE", "DO", "USE",
];

/// The operation of an unrecognized or empty statement.
pub const OTHER_OPERATION: &str = "OTHER";

/// Statements a `WITH` clause can lead into.
pub const MAIN_STATEMENTS: [&str; 5] = ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"];
