//! The fields of a JSON record the alias table names (message, level, time, service, ids,
//! logger), taken out of it before the rest become attributes: found by alias in an object
//! ([`Named::take`]), or sorted out key by key while a document is read ([`Roles`]).

use serde_json::{Map, Value};

use crate::config::FieldAliases;
use crate::pipeline::fields::{self, KeyIndex};

/// What a named field is, in the order the fields are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Message,
    Level,
    Timestamp,
    Service,
    TraceId,
    SpanId,
    Logger,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Message,
        Role::Level,
        Role::Timestamp,
        Role::Service,
        Role::TraceId,
        Role::SpanId,
        Role::Logger,
    ];

    /// The alias keys of the role, first preferred.
    pub fn keys(self, aliases: &FieldAliases) -> &[String] {
        match self {
            Role::Message => &aliases.message,
            Role::Level => &aliases.level,
            Role::Timestamp => &aliases.timestamp,
            Role::Service => &aliases.service,
            Role::TraceId => &aliases.trace_id,
            Role::SpanId => &aliases.span_id,
            Role::Logger => &aliases.logger,
        }
    }

    /// Whether the role takes the first non-null value its aliases find: message, level and
    /// time always (and refuse the record when it is unreadable); service and logger when it
    /// is text or a number; the ids when they are hex of their length and not all zeros.
    /// A value the role does not take stays among the attributes.
    pub fn takes(self, value: &Value) -> bool {
        match self {
            Role::Message | Role::Level | Role::Timestamp => true,
            Role::Service | Role::Logger => value.is_string() || value.is_number(),
            Role::TraceId => is_hex_id(value, 32),
            Role::SpanId => is_hex_id(value, 16),
        }
    }
}

fn is_hex_id(value: &Value, len: usize) -> bool {
    let Value::String(id) = value else {
        return false;
    };
    id.len() == len && id.bytes().all(|b| b.is_ascii_hexdigit()) && id.bytes().any(|b| b != b'0')
}

/// The values the roles took, by role.
#[derive(Debug, Default, PartialEq)]
pub struct Named([Option<Value>; 7]);

impl Named {
    /// Takes each role's value out of `object`: the first non-null of its aliases (dotted
    /// paths reach nested objects), when the role takes it.
    pub fn take(object: &mut Map<String, Value>, aliases: &FieldAliases) -> Named {
        let index = KeyIndex::new(object);
        let mut named = Named::default();
        for role in Role::ALL {
            let Some((key, value)) = index.first_entry(object, role.keys(aliases)) else {
                continue;
            };
            if role.takes(value) {
                named.0[role as usize] = fields::take(object, key);
            }
        }
        named
    }

    /// The value taken for `role`.
    pub fn remove(&mut self, role: Role) -> Option<Value> {
        self.0[role as usize].take()
    }
}

/// The alias keys with their role and rank, for sorting out a document's fields as they are
/// read. A key listed for two roles counts for the first in [`Role::ALL`].
#[derive(Debug)]
pub struct Roles {
    /// The keys by their length: a field name is compared only with keys of its length.
    by_length: Vec<Vec<(String, Role, usize)>>,
}

impl Roles {
    pub fn new(aliases: &FieldAliases) -> Roles {
        let mut roles = Roles {
            by_length: Vec::new(),
        };
        for role in Role::ALL {
            for (rank, key) in role.keys(aliases).iter().enumerate() {
                if roles.of(key).is_none() {
                    roles.insert(key, role, rank);
                }
            }
        }
        roles
    }

    fn insert(&mut self, key: &str, role: Role, rank: usize) {
        if self.by_length.len() <= key.len() {
            self.by_length.resize(key.len() + 1, Vec::new());
        }
        self.by_length[key.len()].push((key.to_string(), role, rank));
    }

    /// The same roles with `key` first of `role`'s aliases (ECS `service.name` over the others).
    pub fn preferring(mut self, role: Role, key: &str) -> Roles {
        for keys in &mut self.by_length {
            keys.retain(|(known, ..)| known != key);
            for (_, known_role, rank) in keys {
                *rank += usize::from(*known_role == role);
            }
        }
        self.insert(key, role, 0);
        self
    }

    /// The role and rank of a field name, if an alias names it.
    pub fn of(&self, key: &str) -> Option<(Role, usize)> {
        let keys = self.by_length.get(key.len())?;
        let found = keys.iter().find(|(known, ..)| known == key);
        found.map(|(_, role, rank)| (*role, *rank))
    }
}

/// A document's fields that an alias names, as they are read; [`Candidates::settle`] picks
/// each role's value as [`Named::take`] would in the finished object. Keys may be borrowed
/// from the document: only those of values no role takes are made into `String`s.
#[derive(Debug, Default)]
pub struct Candidates<K = String>(Vec<(K, Value, Role, usize)>);

impl<K: PartialEq + Into<String>> Candidates<K> {
    pub fn push(&mut self, key: K, value: Value, (role, rank): (Role, usize)) {
        // Of a key given twice, the later value.
        self.0.retain(|(known, ..)| *known != key);
        self.0.push((key, value, role, rank));
    }

    /// The values the roles take; the other candidates go to `rest` with their keys.
    pub fn settle(self, rest: &mut Vec<(String, Value)>) -> Named {
        let mut best: [Option<usize>; 7] = [None; 7];
        for (at, (_, value, role, rank)) in self.0.iter().enumerate() {
            let slot = &mut best[*role as usize];
            let better = slot.is_none_or(|known| *rank < self.0[known].3);
            if !value.is_null() && better {
                *slot = Some(at);
            }
        }
        let mut named = Named::default();
        for (at, (key, value, role, _)) in self.0.into_iter().enumerate() {
            match best[role as usize] == Some(at) && role.takes(&value) {
                true => named.0[role as usize] = Some(value),
                false => rest.push((key.into(), value)),
            }
        }
        named
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    /// The candidates of an object read key by key, settled, against [`Named::take`].
    fn both_ways(value: Value) {
        let aliases = FieldAliases::default();
        let roles = Roles::new(&aliases);
        let mut taken = object(value.clone());
        let expected = Named::take(&mut taken, &aliases);
        let (mut candidates, mut rest) = (Candidates::default(), Vec::new());
        for (key, value) in object(value.clone()) {
            match roles.of(&key) {
                Some(role) => candidates.push(key, value, role),
                None => rest.push((key, value)),
            }
        }
        let named = candidates.settle(&mut rest);
        assert_eq!(named, expected, "{value}");
        assert_eq!(rest.into_iter().collect::<Map<_, _>>(), taken, "{value}");
    }

    #[test]
    fn settled_candidates_are_what_the_aliases_take() {
        both_ways(json!({"msg": "b", "message": "a", "x": 1, "level": "warn"}));
        both_ways(json!({"message": null, "msg": "b", "log.level": "error"}));
        both_ways(json!({"service": {}, "service_name": "x", "name": "logger"}));
        both_ways(json!({"service": 7, "trace_id": "00000000000000000000000000000000"}));
        both_ways(json!({"trace_id": "zz", "traceId": "4bf92f3577b34da6a3ce929d0e0e4736"}));
        both_ways(json!({"span_id": "00f067aa0ba902b7", "@timestamp": "2026-12-04T00:00:00Z"}));
        both_ways(json!({"logger": ["a"], "log.logger": "b", "body": {"a": 1}}));
        both_ways(json!({}));
    }

    #[test]
    fn fields_no_alias_names_have_no_role() {
        let roles = Roles::new(&FieldAliases::default());
        assert_eq!(roles.of("message"), Some((Role::Message, 0)));
        assert_eq!(roles.of("log.level"), Some((Role::Level, 1)));
        assert_eq!(roles.of("http.route"), None);
        assert_eq!(roles.of(""), None);
        assert_eq!(roles.of("messages"), None);
        let roles = roles.preferring(Role::Service, "service.name");
        assert_eq!(roles.of("service.name"), Some((Role::Service, 0)));
        assert_eq!(roles.of("service"), Some((Role::Service, 1)));
        assert_eq!(roles.of("message"), Some((Role::Message, 0)));
    }
}
