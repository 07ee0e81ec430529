//! Conversion between big-endian unsigned integers and the decimal text Vault stores them as
//! (Go's `big.Int` marshals to a bare JSON number: EC scalars, RSA components). Encoding only;
//! no arithmetic on keys happens here beyond base conversion.

use zeroize::Zeroizing;

const DECIMAL_LIMB: u64 = 1_000_000_000;

/// Decimal digits of a big-endian unsigned integer ("0" for empty or all-zero input).
pub fn to_decimal(be: &[u8]) -> Zeroizing<String> {
    // Little-endian limbs in base 10^9.
    let mut limbs: Zeroizing<Vec<u32>> = Zeroizing::new(Vec::with_capacity(be.len() / 3 + 1));
    for &byte in be {
        let mut carry = byte as u64;
        for limb in limbs.iter_mut() {
            let v = (*limb as u64) * 256 + carry;
            *limb = (v % DECIMAL_LIMB) as u32;
            carry = v / DECIMAL_LIMB;
        }
        while carry > 0 {
            limbs.push((carry % DECIMAL_LIMB) as u32);
            carry /= DECIMAL_LIMB;
        }
    }
    let mut out = Zeroizing::new(String::with_capacity(limbs.len() * 9 + 1));
    match limbs.split_last() {
        None => out.push('0'),
        Some((top, rest)) => {
            out.push_str(&top.to_string());
            for limb in rest.iter().rev() {
                out.push_str(&format!("{limb:09}"));
            }
        }
    }
    out
}

/// The big-endian bytes (no leading zeros) of a non-negative decimal integer; `None` when the
/// text is not one.
pub fn from_decimal(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Little-endian limbs in base 2^32.
    let mut limbs: Zeroizing<Vec<u32>> = Zeroizing::new(Vec::with_capacity(text.len() / 9 + 1));
    for chunk in text.as_bytes().chunks(9) {
        let mut scale = 1u64;
        let mut value = 0u64;
        for &d in chunk {
            scale *= 10;
            value = value * 10 + (d - b'0') as u64;
        }
        let mut carry = value;
        for limb in limbs.iter_mut() {
            let v = (*limb as u64) * scale + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let mut out = Zeroizing::new(Vec::with_capacity(limbs.len() * 4));
    for limb in limbs.iter().rev() {
        out.extend_from_slice(&limb.to_be_bytes());
    }
    let first = out.iter().position(|b| *b != 0).unwrap_or(out.len());
    out.drain(..first);
    Some(out)
}

/// Left-pads a big-endian integer with zeros to `len` bytes; `None` if it does not fit.
pub fn pad_to(be: &[u8], len: usize) -> Option<Zeroizing<Vec<u8>>> {
    let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    let digits = &be[first..];
    if digits.len() > len {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; len]);
    out[len - digits.len()..].copy_from_slice(digits);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways() {
        let cases: &[(&[u8], &str)] = &[
            (&[], "0"),
            (&[0], "0"),
            (&[1], "1"),
            (&[0xff], "255"),
            (&[1, 0], "256"),
            (&[0x3b, 0x9a, 0xca, 0x00], "1000000000"),
            (&[0xff; 8], "18446744073709551615"),
            (&[1, 0, 0, 0, 0, 0, 0, 0, 0], "18446744073709551616"),
        ];
        for (bytes, text) in cases {
            assert_eq!(to_decimal(bytes).as_str(), *text);
            let back = from_decimal(text).unwrap();
            let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
            assert_eq!(back.as_slice(), trimmed.as_slice(), "{text}");
        }
        // A P-256 coordinate from an OpenBao backup.
        let x = "57839918917248558451714208294865483255958658543647561561019957228125490170926";
        assert_eq!(to_decimal(&from_decimal(x).unwrap()).as_str(), x);
        for bad in ["", "-1", "1.5", "1e5", " 1"] {
            assert!(from_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn pads() {
        assert_eq!(pad_to(&[0, 0, 5], 4).unwrap().as_slice(), &[0, 0, 0, 5]);
        assert!(pad_to(&[1, 2, 3], 2).is_none());
    }
}
