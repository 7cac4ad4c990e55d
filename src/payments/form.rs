//! A minimal `application/x-www-form-urlencoded` encoder for Stripe request
//! bodies (reqwest is built without its `form` feature).
//!
//! Everything but ASCII letters, digits and `-._*` is percent-encoded
//! byte-wise from UTF-8, and a space becomes `+`, as the WHATWG URL
//! standard describes; so `metadata[booking_id]` goes out as
//! `metadata%5Bbooking_id%5D`, which Stripe decodes like any form parser.
//!
//! What this module deliberately does not do: decode, build nested keys from
//! structures (callers write `a[b]` themselves), or encode query strings.

/// Encodes `pairs` in order as a form body.
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(key.as_ref(), &mut out);
        out.push('=');
        encode_component(value.as_ref(), &mut out);
    }
    out
}

fn encode_component(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_stripe_style_keys() {
        let body = encode(&[
            ("amount", "1500"),
            ("metadata[booking_id]", "42"),
            ("description", "Row A & B = 2 seats, 100% fun"),
            ("name", "Zoë"),
        ]);
        assert_eq!(
            body,
            "amount=1500&metadata%5Bbooking_id%5D=42\
             &description=Row+A+%26+B+%3D+2+seats%2C+100%25+fun&name=Zo%C3%AB"
        );
    }

    #[test]
    fn empty() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(encode(&none), "");
        assert_eq!(encode(&[("k", "")]), "k=");
    }
}
