//! `!!binary`: base64 decoded as Python's `base64.decodebytes` does, which skips characters
//! outside the alphabet (line breaks, blanks, anything else) and stops at complete padding.
//! The base64 crate's decoders are strict about both, so the loop of CPython's
//! `binascii.a2b_base64` is followed here instead.

/// The bytes of `text`, or the message Python raises.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "failed to convert base64 data into ascii: character {c:?} is not ASCII"
        ));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut quad = 0;
    let mut left = 0u32;
    let mut pads = 0;
    for byte in text.bytes() {
        if byte == b'=' {
            if quad >= 2 {
                pads += 1;
                if quad + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(sextet) = sextet(byte) else { continue };
        pads = 0;
        match quad {
            0 => {}
            1 => out.push(((left << 2) | (sextet >> 4)) as u8),
            2 => out.push((((left & 0x0f) << 4) | (sextet >> 2)) as u8),
            _ => out.push((((left & 0x03) << 6) | sextet) as u8),
        }
        left = sextet;
        quad = (quad + 1) % 4;
    }
    match quad {
        0 => Ok(out),
        1 => Err(format!(
            "failed to decode base64 data: Invalid base64-encoded string: number of data \
             characters ({}) cannot be 1 more than a multiple of 4",
            out.len() / 3 * 4 + 1
        )),
        _ => Err("failed to decode base64 data: Incorrect padding".into()),
    }
}

fn sextet(byte: u8) -> Option<u32> {
    let value = match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_python_decodes() {
        assert_eq!(decode("aGVsbG8="), Ok(b"hello".to_vec()));
        assert_eq!(decode("aGVs\n bG8="), Ok(b"hello".to_vec()));
        assert_eq!(decode("a!!GVsbG8="), Ok(b"hello".to_vec()));
        assert_eq!(decode("aGk=aGVsbG8="), Ok(b"hi".to_vec()));
        assert_eq!(decode(""), Ok(Vec::new()));
        assert!(
            decode("aGVsbG8")
                .unwrap_err()
                .ends_with("Incorrect padding")
        );
        assert!(
            decode("aGVsb")
                .unwrap_err()
                .contains("(5) cannot be 1 more")
        );
        assert!(decode("aé").is_err());
    }
}
