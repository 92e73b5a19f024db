//! Bounds of a Loki push body: the protobuf `PushRequest` walked on the wire (entries, label and
//! structured-metadata entries), and an upper bound from the JSON scan for the JSON body.

use prost::encoding::{WireType, decode_key};

use super::Counted;
use super::json;
use super::protobuf::{Malformed, length_delimited, skip};

/// Counts the entries and attribute entries of a decompressed protobuf `PushRequest`: each
/// entry is a record, each structured-metadata pair an attribute entry, and each `=` of a
/// stream's label string one too (an upper bound of its labels). Malformed wire data stops the
/// walk with the counts so far, where prost's decode stops as well.
pub fn count_protobuf(body: &[u8]) -> Counted {
    let mut counted = Counted::default();
    let _complete = fields(body, |tag, payload| {
        if tag == 1 {
            stream(payload, &mut counted);
        }
    });
    counted
}

/// The `PushRequest` JSON, `{"streams":[{"stream":{..},"values":[["<ns>","<line>",{..}]]}]}`:
/// entries are the array elements at depth 4 (each array level is two: the container and its
/// elements), attribute entries every object member (labels and metadata) and the elements
/// deeper than an entry's own.
pub fn count_json(body: &[u8]) -> Counted {
    let shape = json::scan(body);
    Counted {
        records: shape.elements[4],
        attributes: shape.members + shape.elements[6..].iter().sum::<usize>(),
        estimated: true,
    }
}

fn stream(body: &[u8], counted: &mut Counted) {
    let _complete = fields(body, |tag, payload| match tag {
        1 => counted.attributes += memchr::memchr_iter(b'=', payload).count(),
        2 => {
            counted.records += 1;
            let _complete = fields(payload, |tag, _| {
                if tag == 3 {
                    counted.attributes += 1;
                }
            });
        }
        _ => {}
    });
}

/// Calls `each` with the tag and payload of every length-delimited field of a message,
/// skipping the other fields.
fn fields(mut buf: &[u8], mut each: impl FnMut(u32, &[u8])) -> Result<(), Malformed> {
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf).map_err(|_| Malformed)?;
        if wire_type != WireType::LengthDelimited {
            skip(&mut buf, tag, wire_type, 0)?;
            continue;
        }
        each(tag, length_delimited(&mut buf)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_counts_entries_and_members() {
        let body = br#"{"streams":[{"stream":{"a":"1","b":"2"},"values":[["1","x"],["2","y",{"k":"v"}],null]}]}"#;
        let counted = count_json(body);
        assert_eq!(
            counted.records, 3,
            "null entries counted too: an upper bound"
        );
        assert!(counted.attributes >= 3, "{counted:?}");
        let streams: String = (0..500)
            .map(|n| format!(r#"{{"stream":{{"n":"{n}"}},"values":[["1","x"]]}}"#))
            .collect::<Vec<_>>()
            .join(",");
        let counted = count_json(format!(r#"{{"streams":[{streams}]}}"#).as_bytes());
        assert_eq!(counted.records, 500);
        assert!(counted.attributes >= 500, "{counted:?}");
    }
}
