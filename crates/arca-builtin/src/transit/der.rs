//! The few DER structures transit exchanges with clients (SubjectPublicKeyInfo, PKCS#1, PKCS#8,
//! SEC1 private keys, ECDSA signatures) and PEM armour, written byte for byte as Go's
//! `crypto/x509` writes them so exported keys look the same as Vault's.

use zeroize::Zeroizing;

use super::b64;

pub const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
pub const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
pub const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
pub const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let first = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - first) as u8);
        out.extend_from_slice(&bytes[first..]);
    }
}

pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// A TLV whose content is secret (private keys), wiped when dropped.
pub fn tlv_secret(tag: u8, content: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(tlv(tag, content))
}

pub fn sequence(parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let content: Zeroizing<Vec<u8>> = Zeroizing::new(parts.concat());
    tlv_secret(TAG_SEQUENCE, &content)
}

/// A non-negative INTEGER from big-endian magnitude bytes, minimally encoded.
pub fn uint(be: &[u8]) -> Zeroizing<Vec<u8>> {
    let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    let digits = &be[first..];
    let mut content = Zeroizing::new(Vec::with_capacity(digits.len() + 1));
    if digits.is_empty() || digits[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(digits);
    tlv_secret(TAG_INTEGER, &content)
}

pub fn octet_string(content: &[u8]) -> Zeroizing<Vec<u8>> {
    tlv_secret(TAG_OCTET_STRING, content)
}

pub fn bit_string(content: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(content.len() + 1);
    body.push(0);
    body.extend_from_slice(content);
    tlv(TAG_BIT_STRING, &body)
}

pub fn oid(encoded: &[u8]) -> Vec<u8> {
    tlv(TAG_OID, encoded)
}

fn explicit(context_tag: u8, content: &[u8]) -> Zeroizing<Vec<u8>> {
    tlv_secret(0xa0 | context_tag, content)
}

fn rsa_algorithm() -> Zeroizing<Vec<u8>> {
    sequence(&[&oid(OID_RSA), &tlv(TAG_NULL, &[])])
}

/// SubjectPublicKeyInfo for an EC point (uncompressed form).
pub fn ec_spki(curve_oid: &[u8], point: &[u8]) -> Vec<u8> {
    let alg = sequence(&[&oid(OID_EC_PUBLIC_KEY), &oid(curve_oid)]);
    sequence(&[&alg, &bit_string(point)]).to_vec()
}

/// SEC1 `ECPrivateKey`; Go includes the curve only outside PKCS#8.
pub fn ec_private_sec1(
    curve_oid: Option<&[u8]>,
    scalar: &[u8],
    point: &[u8],
) -> Zeroizing<Vec<u8>> {
    let version = uint(&[1]);
    let key = octet_string(scalar);
    let public = explicit(1, &bit_string(point));
    match curve_oid {
        Some(c) => sequence(&[&version, &key, &explicit(0, &oid(c)), &public]),
        None => sequence(&[&version, &key, &public]),
    }
}

/// PKCS#8 `PrivateKeyInfo` wrapping a SEC1 key (as `x509.MarshalPKCS8PrivateKey`).
pub fn ec_pkcs8(curve_oid: &[u8], scalar: &[u8], point: &[u8]) -> Zeroizing<Vec<u8>> {
    let alg = sequence(&[&oid(OID_EC_PUBLIC_KEY), &oid(curve_oid)]);
    let inner = ec_private_sec1(None, scalar, point);
    sequence(&[&uint(&[0]), &alg, &octet_string(&inner)])
}

/// The big-endian components of a two-prime RSA private key.
pub struct RsaComponents {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: Zeroizing<Vec<u8>>,
    pub p: Zeroizing<Vec<u8>>,
    pub q: Zeroizing<Vec<u8>>,
    pub dp: Zeroizing<Vec<u8>>,
    pub dq: Zeroizing<Vec<u8>>,
    pub qinv: Zeroizing<Vec<u8>>,
}

pub fn rsa_pkcs1_private(c: &RsaComponents) -> Zeroizing<Vec<u8>> {
    sequence(&[
        &uint(&[0]),
        &uint(&c.n),
        &uint(&c.e),
        &uint(&c.d),
        &uint(&c.p),
        &uint(&c.q),
        &uint(&c.dp),
        &uint(&c.dq),
        &uint(&c.qinv),
    ])
}

pub fn rsa_pkcs8(c: &RsaComponents) -> Zeroizing<Vec<u8>> {
    sequence(&[
        &uint(&[0]),
        &rsa_algorithm(),
        &octet_string(&rsa_pkcs1_private(c)),
    ])
}

pub fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let public = sequence(&[&uint(n), &uint(e)]);
    sequence(&[&rsa_algorithm(), &bit_string(&public)]).to_vec()
}

pub fn ed25519_spki(public: &[u8]) -> Vec<u8> {
    let alg = sequence(&[&oid(OID_ED25519)]);
    sequence(&[&alg, &bit_string(public)]).to_vec()
}

pub fn ed25519_pkcs8(seed: &[u8]) -> Zeroizing<Vec<u8>> {
    let alg = sequence(&[&oid(OID_ED25519)]);
    sequence(&[&uint(&[0]), &alg, &octet_string(&octet_string(seed))])
}

/// PEM as Go's `pem.EncodeToMemory`: 64-column lines and a final newline.
pub fn pem(label: &str, der: &[u8]) -> Zeroizing<String> {
    let body = Zeroizing::new(b64::encode(der));
    let mut out = Zeroizing::new(String::with_capacity(body.len() + body.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// A forward-only reader of DER elements.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next element's tag and content; lengths must be minimally encoded (DER).
    pub fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.data.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let count = (first & 0x7f) as usize;
            if count == 0 || count > 4 || rest.len() < count || rest[0] == 0 {
                return None;
            }
            let len = rest[..count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            if len < 0x80 {
                return None;
            }
            (len, &rest[count..])
        };
        if rest.len() < len {
            return None;
        }
        let (content, remaining) = rest.split_at(len);
        self.data = remaining;
        Some((tag, content))
    }

    pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.next()? {
            (t, content) if t == tag => Some(content),
            _ => None,
        }
    }

    /// An INTEGER as (negative?, magnitude bytes), refusing non-minimal encodings.
    pub fn integer(&mut self) -> Option<(bool, &'a [u8])> {
        let content = self.expect(TAG_INTEGER)?;
        match content {
            [] => None,
            [0, next, ..] if next & 0x80 == 0 => None,
            [0xff, next, ..] if next & 0x80 != 0 => None,
            [0, rest @ ..] => Some((false, rest)),
            [first, ..] => Some((first & 0x80 != 0, content)),
        }
    }

    pub fn sequence(&mut self) -> Option<Reader<'a>> {
        self.expect(TAG_SEQUENCE).map(Reader::new)
    }

    pub fn octet_string(&mut self) -> Option<&'a [u8]> {
        self.expect(TAG_OCTET_STRING)
    }
}

/// The components of a PKCS#1 `RSAPrivateKey` (inside PKCS#8 when `pkcs8` is set).
pub fn parse_rsa_private(der: &[u8], pkcs8: bool) -> Option<RsaComponents> {
    let pkcs1 = if pkcs8 {
        let mut outer = Reader::new(der).sequence()?;
        outer.integer()?;
        outer.sequence()?;
        outer.octet_string()?
    } else {
        der
    };
    let mut seq = Reader::new(pkcs1).sequence()?;
    let (_, version) = seq.integer()?;
    if !version.is_empty() {
        // Multi-prime keys (version 1) are not produced by Vault or aws-lc.
        return None;
    }
    let mut next = || seq.integer().filter(|(neg, _)| !neg).map(|(_, v)| v);
    Some(RsaComponents {
        n: next()?.to_vec(),
        e: next()?.to_vec(),
        d: Zeroizing::new(next()?.to_vec()),
        p: Zeroizing::new(next()?.to_vec()),
        q: Zeroizing::new(next()?.to_vec()),
        dp: Zeroizing::new(next()?.to_vec()),
        dq: Zeroizing::new(next()?.to_vec()),
        qinv: Zeroizing::new(next()?.to_vec()),
    })
}

/// An ECDSA signature (`SEQUENCE { r INTEGER, s INTEGER }`) as the magnitudes of r and s.
/// `Err(true)` when bytes follow the sequence (Vault reports that separately).
pub fn parse_ecdsa_signature(der: &[u8]) -> Result<(bool, Vec<u8>, Vec<u8>), bool> {
    let mut outer = Reader::new(der);
    let mut seq = outer.sequence().ok_or(false)?;
    let (r_neg, r) = seq.integer().ok_or(false)?;
    let (s_neg, s) = seq.integer().ok_or(false)?;
    if !seq.is_empty() {
        return Err(false);
    }
    if !outer.is_empty() {
        return Err(true);
    }
    Ok((r_neg || s_neg, r.to_vec(), s.to_vec()))
}

pub fn ecdsa_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    sequence(&[&uint(r), &uint(s)]).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal() {
        assert_eq!(uint(&[0, 0, 5]).as_slice(), &[2, 1, 5]);
        assert_eq!(uint(&[0x80]).as_slice(), &[2, 2, 0, 0x80]);
        assert_eq!(uint(&[]).as_slice(), &[2, 1, 0]);
        let mut r = Reader::new(&[2, 2, 0, 5]);
        assert!(r.integer().is_none(), "non-minimal positive");
        let mut r = Reader::new(&[2, 2, 0, 0x85]);
        assert_eq!(r.integer(), Some((false, &[0x85][..])));
    }

    #[test]
    fn long_lengths() {
        let content = vec![7u8; 300];
        let encoded = tlv(TAG_OCTET_STRING, &content);
        assert_eq!(&encoded[..4], &[4, 0x82, 1, 44]);
        let mut r = Reader::new(&encoded);
        assert_eq!(r.octet_string().unwrap(), content.as_slice());
        // A long form for a short length is not DER.
        assert!(Reader::new(&[4, 0x81, 1, 0]).next().is_none());
    }

    #[test]
    fn ecdsa_signatures_round_trip() {
        let sig = ecdsa_signature(&[0x80, 1], &[0, 0, 3]);
        assert_eq!(
            parse_ecdsa_signature(&sig),
            Ok((false, vec![0x80, 1], vec![3]))
        );
        let mut extra = sig.clone();
        extra.push(0);
        assert_eq!(parse_ecdsa_signature(&extra), Err(true));
        assert_eq!(parse_ecdsa_signature(&[1, 2, 3]), Err(false));
    }

    #[test]
    fn pem_lines() {
        let p = pem("PUBLIC KEY", &[0u8; 60]);
        let lines: Vec<&str> = p.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[3], "-----END PUBLIC KEY-----");
        assert!(p.ends_with('\n'));
    }
}
