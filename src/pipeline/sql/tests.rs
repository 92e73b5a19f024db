//! Tests of SQL fingerprints and operations on statements as ORMs and drivers send them.

use super::*;
use proptest::prelude::*;

#[test]
fn literals_and_parameters_become_placeholders() {
    let cases = [
        (
            "select * from users where id = 42 and name = 'O''Brien'",
            "SELECT * FROM users WHERE id = ? AND name = ?",
        ),
        (
            "SELECT \"User\".\"id\" FROM \"User\" WHERE \"User\".\"email\" = $1 LIMIT $2",
            "SELECT \"User\".\"id\" FROM \"User\" WHERE \"User\".\"email\" = ? LIMIT ?",
        ),
        (
            "UPDATE t SET a = -1.5e3, b = 0xFF WHERE c = .5",
            "UPDATE t SET a = ?, b = ? WHERE c = ?",
        ),
        (
            "SELECT E'it\\'s', $$a 'b' c$$, $fn$ x $fn$",
            "SELECT ?, ?, ?",
        ),
        (
            "select * from t where a = :id and b = %s and c = %(name)s",
            "SELECT * FROM t WHERE a = ? AND b = ? AND c = ?",
        ),
        ("SELECT a - 1 FROM t", "SELECT a - ? FROM t"),
    ];
    for (sql, expected) in cases {
        assert_eq!(fingerprint(sql), expected, "{sql}");
    }
}

#[test]
fn digits_inside_identifiers_stay() {
    assert_eq!(
        fingerprint("SELECT t2.col1, table1.x FROM table1 JOIN t2 ON t2.id = table1.t2_id"),
        "SELECT t2.col1, table1.x FROM table1 JOIN t2 ON t2.id = table1.t2_id"
    );
}

#[test]
fn value_lists_collapse() {
    assert_eq!(
        fingerprint("SELECT * FROM t WHERE id IN (1, 2, 3)"),
        "SELECT * FROM t WHERE id IN (?)"
    );
    assert_eq!(
        fingerprint("select * from t where id in ($1,$2)"),
        "SELECT * FROM t WHERE id IN (?)"
    );
    assert_eq!(
        fingerprint("SELECT * FROM t WHERE id IN (...)"),
        "SELECT * FROM t WHERE id IN (?)"
    );
    assert_eq!(
        fingerprint("INSERT INTO events (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z') RETURNING id"),
        "INSERT INTO events (a, b) VALUES (?) RETURNING id"
    );
    assert_eq!(
        fingerprint("SELECT * FROM t WHERE id IN (SELECT id FROM u)"),
        "SELECT * FROM t WHERE id IN (SELECT id FROM u)"
    );
}

#[test]
fn comments_whitespace_and_semicolons_go() {
    let sql =
        "/* app=web, controller=users */ SELECT  *\n\tFROM users -- hot path\n WHERE id = 7 ;";
    assert_eq!(fingerprint(sql), "SELECT * FROM users WHERE id = ?");
    assert_eq!(
        fingerprint("SELECT count(*)::int FROM t"),
        "SELECT count(*) :: int FROM t"
    );
}

#[test]
fn unterminated_input_runs_to_the_end() {
    assert_eq!(fingerprint("SELECT 'abc"), "SELECT ?");
    assert_eq!(fingerprint("SELECT 1 /* never closed"), "SELECT ?");
    assert_eq!(fingerprint("SELECT $tag$ open"), "SELECT ?");
    assert_eq!(fingerprint("SELECT \"open"), "SELECT \"open");
    assert_eq!(fingerprint(""), "");
}

#[test]
fn long_statements_are_capped_on_a_word_boundary() {
    let sql = format!("SELECT {} FROM t", vec!["some_column_name"; 100].join(", "));
    let fp = fingerprint(&sql);
    assert!(fp.len() <= MAX_FINGERPRINT_BYTES);
    assert!(fp.ends_with("some_column_name,") || fp.ends_with("some_column_name"));
    assert_eq!(fingerprint(&fp), fp);
}

#[test]
fn operations() {
    let cases = [
        ("select 1", "SELECT"),
        ("  (SELECT 1) UNION (SELECT 2)", "SELECT"),
        ("/* c */ INSERT INTO t VALUES (1)", "INSERT"),
        ("WITH x AS (SELECT 1) UPDATE t SET a = 1", "UPDATE"),
        (
            "with recursive r(n) as (select 1 union all select n + 1 from r) select * from r",
            "SELECT",
        ),
        ("WITH x AS (SELECT 1)", "WITH"),
        ("begin", "BEGIN"),
        ("commit;", "COMMIT"),
        ("CALL refresh()", "CALL"),
        ("frobnicate the database", "OTHER"),
        ("", "OTHER"),
        ("'select'", "OTHER"),
    ];
    for (sql, expected) in cases {
        assert_eq!(operation(sql), expected, "{sql}");
    }
}

proptest! {
    #[test]
    fn never_panics_and_is_idempotent(sql in ".{0,200}") {
        let once = fingerprint(&sql);
        prop_assert!(once.len() <= MAX_FINGERPRINT_BYTES);
        prop_assert_eq!(fingerprint(&once), once.clone());
        let op = operation(&sql);
        prop_assert!(op == OTHER_OPERATION || OPERATIONS.contains(&op.as_str()));
    }

    #[test]
    fn idempotent_on_sql_like_text(parts in prop::collection::vec(prop_oneof![
        Just("SELECT"), Just("in"), Just("values"), Just("("), Just(")"), Just(","), Just("'x''y'"),
        Just("-"), Just("."), Just("12"), Just("$1"), Just("$$"), Just("\""), Just("::"), Just("--"),
        Just("/*"), Just("*/"), Just(" "), Just("\n"), Just("t1"), Just("%s"), Just(":a"), Just("e'"),
        Just(";"), Just("order_id"), Just("?"), Just("<"), Just(">"), Just("$"), Just("%"),
    ], 0..80)) {
        let sql = parts.concat();
        let once = fingerprint(&sql);
        prop_assert_eq!(fingerprint(&once), once.clone(), "{}", sql);
    }

    #[test]
    fn literal_values_never_change_the_fingerprint(n in any::<i64>(), f in any::<f64>(), s in "[^\\\\]{0,30}") {
        let base = fingerprint("SELECT * FROM t WHERE a = 1 AND b = 'x'");
        let number = if n % 2 == 0 { n.to_string() } else { format!("{:?}", f.abs()) };
        let quoted = s.replace('\'', "''");
        let sql = format!("SELECT * FROM t WHERE a = {number} AND b = '{quoted}'");
        prop_assert_eq!(fingerprint(&sql), base.clone());
        prop_assert_eq!(base, "SELECT * FROM t WHERE a = ? AND b = ?");
    }

    #[test]
    fn capped_output_is_stable(words in prop::collection::vec("[a-z_]{1,12}|[0-9]{1,5}|order|in \\(1, 2\\)", 50..200)) {
        let sql = format!("SELECT {} FROM t", words.join(" "));
        let once = fingerprint(&sql);
        prop_assert!(once.len() <= MAX_FINGERPRINT_BYTES);
        prop_assert_eq!(fingerprint(&once), once.clone());
    }
}
