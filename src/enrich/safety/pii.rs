//! Validated personal data: e-mail addresses, phone numbers (E.164 and common national
//! formats), payment cards (Luhn and issuer prefixes), IBANs (per-country length and
//! mod-97), US SSNs (valid ranges, published sample numbers excluded) and IP addresses
//! (parsed). Candidates come from byte scans for `@`, digits, `:` and country codes, never
//! from a regex over the whole text; each is validated before it is reported.

use super::config::PiiConfig;
use super::Sink;
use crate::model::record::Severity;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The compiled PII detector.
pub(crate) struct Pii {
    email: bool,
    phone: bool,
    card: bool,
    iban: bool,
    ssn: bool,
    ip: bool,
    allow: Vec<String>,
    severity: Option<Severity>,
}

impl Pii {
    pub(crate) fn new(cfg: &PiiConfig) -> Self {
        let on = |r: &str| !cfg.disable.iter().any(|d| d.eq_ignore_ascii_case(r));
        Self {
            email: on("email"),
            phone: on("phone"),
            card: on("card"),
            iban: on("iban"),
            ssn: on("ssn"),
            ip: on("ip"),
            allow: cfg.allow.clone(),
            severity: cfg.severity,
        }
    }

    pub(crate) fn detect(&self, text: &str, sink: &mut Sink<'_>) {
        let b = text.as_bytes();
        let mut found: Vec<(&'static str, usize, usize)> = Vec::new();
        if self.email {
            for at in memchr::memchr_iter(b'@', b) {
                if let Some((s, e)) = email_at(b, at) {
                    found.push(("email", s, e));
                }
            }
        }
        if self.ip && ipv6_possible(b) {
            ipv6_spans(text, &mut found);
        }
        if self.iban {
            iban_spans(b, &mut found);
        }
        if self.phone || self.card || self.ssn || self.ip {
            self.number_spans(text, &mut found);
        }
        for (rule, s, e) in found {
            if self.allow.iter().any(|a| a == &text[s..e]) {
                continue;
            }
            let sev = self.severity.unwrap_or(match rule {
                "card" | "ssn" | "iban" => Severity::High,
                "ip" => Severity::Low,
                _ => Severity::Medium,
            });
            sink.push("pii", rule, sev, 0.95, s, e);
        }
    }

    /// Numeric candidates: maximal runs of digits and separators not glued to words.
    fn number_spans(&self, text: &str, found: &mut Vec<(&'static str, usize, usize)>) {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let opens = c.is_ascii_digit()
                || ((c == b'+' || c == b'(') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
            if !opens {
                // Every number starts at a digit or one byte before it ('+', '(').
                let d = super::next_digit(b, i + 1);
                i = if d > i + 1 && matches!(b[d - 1], b'+' | b'(') {
                    d - 1
                } else {
                    d
                };
                continue;
            }
            if i > 0
                && (b[i - 1].is_ascii_alphanumeric()
                    || matches!(b[i - 1], b'.' | b'-' | b'_' | b'/' | b'+'))
            {
                i += 1;
                continue;
            }
            let s = i;
            let mut e = i;
            let mut j = i;
            while j < b.len() {
                let x = b[j];
                if x.is_ascii_digit() {
                    j += 1;
                    e = j;
                } else if matches!(x, b' ' | b'-' | b'.' | b'(' | b')' | b'+')
                    && j + 1 < b.len()
                    && (b[j + 1].is_ascii_digit() || matches!(b[j + 1], b'(' | b' '))
                {
                    if x == b' ' && b[j + 1] == b' ' {
                        break;
                    }
                    j += 1;
                } else if x == b'x' && e == j && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
                    // Phone extension "555-0100x123".
                    j += 1;
                } else {
                    break;
                }
            }
            i = e.max(i + 1);
            if b.get(e)
                .is_some_and(|&n| n.is_ascii_alphabetic() || n == b'_')
            {
                continue;
            }
            let cand = &text[s..e];
            if let Some(rule) = self.classify(cand) {
                found.push((rule, s, e));
            }
        }
    }

    fn classify(&self, cand: &str) -> Option<&'static str> {
        // Every entity has at least four digits (an IPv4 address); most numbers have fewer.
        if cand.bytes().filter(u8::is_ascii_digit).count() < 4 {
            return None;
        }
        let digits: Vec<u8> = cand
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|d| d - b'0')
            .collect();
        if self.ip && is_ipv4(cand) {
            return Some("ip");
        }
        if self.ssn && is_ssn(cand, &digits) {
            return Some("ssn");
        }
        if self.card && is_card(cand, &digits) {
            return Some("card");
        }
        if self.phone && is_phone(cand, &digits) {
            return Some("phone");
        }
        None
    }
}

/// An IPv6 address has at least two colons between hex digits (or doubled); most text with
/// colons ("Note: …", "14:00") has fewer, and is not walked byte by byte.
fn ipv6_possible(b: &[u8]) -> bool {
    let hexish = |i: usize| {
        b.get(i)
            .is_some_and(|c| c.is_ascii_hexdigit() || *c == b':')
    };
    memchr::memchr_iter(b':', b)
        .filter(|&i| i > 0 && hexish(i - 1) && hexish(i + 1))
        .nth(1)
        .is_some()
}

fn email_at(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-'".contains(&c);
    let domain = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
    let mut s = at;
    while s > 0 && local(b[s - 1]) {
        s -= 1;
    }
    while s < at && !b[s].is_ascii_alphanumeric() {
        s += 1;
    }
    let mut e = at + 1;
    while e < b.len() && domain(b[e]) {
        e += 1;
    }
    while e > at + 1 && !b[e - 1].is_ascii_alphanumeric() {
        e -= 1;
    }
    if s == at || e <= at + 1 || (s > 0 && b[s - 1] == b'@') {
        return None;
    }
    let dom = std::str::from_utf8(&b[at + 1..e]).ok()?;
    let tld = dom.rsplit('.').next()?;
    let labels_ok = dom
        .split('.')
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    (dom.contains('.')
        && labels_ok
        && tld.len() >= 2
        && tld.bytes().all(|c| c.is_ascii_alphabetic()))
    .then_some((s, e))
}

fn is_ipv4(cand: &str) -> bool {
    cand.split('.').count() == 4
        && cand.split('.').all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|c| c.is_ascii_digit())
                && (p == "0" || !p.starts_with('0'))
        })
        && cand.parse::<Ipv4Addr>().is_ok()
}

fn ipv6_spans(text: &str, found: &mut Vec<(&'static str, usize, usize)>) {
    let b = text.as_bytes();
    let hexc = |c: u8| c.is_ascii_hexdigit() || c == b':';
    let mut i = 0;
    while i < b.len() {
        if !hexc(b[i]) || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len()
            && (hexc(b[i]) || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            i += 1;
        }
        let mut e = i;
        while e > s && b[e - 1] == b':' && !(e >= s + 2 && b[e - 2] == b':') {
            e -= 1;
        }
        let cand = &text[s..e];
        let colons = cand.bytes().filter(|&c| c == b':').count();
        let glued = b.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
        if !glued
            && colons >= 2
            && (cand.contains("::") || colons == 7)
            && cand.bytes().any(|c| c.is_ascii_hexdigit())
            && cand.parse::<Ipv6Addr>().is_ok()
            && cand != "::"
        {
            found.push(("ip", s, e));
        }
    }
}

fn is_ssn(cand: &str, d: &[u8]) -> bool {
    let parts: Vec<&str> = cand.split(['-', ' ']).collect();
    if d.len() != 9
        || parts.len() != 3
        || [parts[0].len(), parts[1].len(), parts[2].len()] != [3, 2, 4]
    {
        return false;
    }
    let sep = cand.as_bytes()[3];
    if cand.as_bytes()[6] != sep {
        return false;
    }
    let area = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
    let group = d[3] * 10 + d[4];
    let serial = d[5..].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    let samples = ["078-05-1120", "219-09-9999", "123-45-6789"];
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !samples.contains(&cand.replace(' ', "-").as_str())
}

fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                if x * 2 > 9 {
                    x * 2 - 9
                } else {
                    x * 2
                }
            } else {
                x
            }
        })
        .sum();
    sum % 10 == 0
}

/// Issuer prefix ranges (IIN) and the lengths they issue.
fn issuer_ok(d: &[u8]) -> bool {
    let n = d.len();
    let p = |k: usize| d.iter().take(k).fold(0u32, |a, &x| a * 10 + u32::from(x));
    match d[0] {
        4 => matches!(n, 13 | 16 | 19),
        5 => (51..=55).contains(&p(2)) && n == 16,
        2 => (2221..=2720).contains(&p(4)) && n == 16,
        3 => {
            (matches!(p(2), 34 | 37) && n == 15)
                || ((3528..=3589).contains(&p(4)) && (16..=19).contains(&n))
                || ((p(3) <= 305 && p(3) >= 300 || matches!(p(2), 36 | 38 | 39))
                    && (14..=19).contains(&n))
        }
        6 => {
            (p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3)) || p(2) == 62)
                && (16..=19).contains(&n)
        }
        1 => p(2) == 18 && (15..=16).contains(&n),
        _ => false,
    }
}

fn is_card(cand: &str, d: &[u8]) -> bool {
    if !(13..=19).contains(&d.len()) {
        return false;
    }
    // One separator kind at most (spaces or dashes), and no dots or parentheses.
    let seps: Vec<u8> = cand.bytes().filter(|c| !c.is_ascii_digit()).collect();
    if seps.iter().any(|&c| c != seps[0]) || seps.first().is_some_and(|&c| c != b' ' && c != b'-') {
        return false;
    }
    issuer_ok(d) && luhn(d)
}

fn is_phone(cand: &str, d: &[u8]) -> bool {
    let n = d.len();
    let b = cand.as_bytes();
    let groups = cand
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .count();
    if cand.contains('.') && !cand.contains(['-', ' ', '(']) {
        // "555.010.4477" only, not decimals or versions.
        let p: Vec<&str> = cand.split('.').collect();
        return p.len() == 3 && p[0].len() == 3 && p[1].len() == 3 && p[2].len() == 4 && d[0] >= 2;
    }
    if b[0] == b'+' {
        return (8..=15).contains(&n) && d[0] != 0 && (groups >= 2 || n >= 10);
    }
    let main = cand.split('x').next().unwrap_or(cand);
    let md: Vec<u8> = main
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|x| x - b'0')
        .collect();
    if groups < 2 && !cand.contains('x') {
        return false;
    }
    let date_like = {
        let g: Vec<usize> = main
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .map(str::len)
            .collect();
        g == [4, 2, 2] || g == [2, 2, 4] || g == [5, 4] || g == [4, 2]
    };
    if date_like {
        return false;
    }
    // NANP: (NXX) NXX-XXXX grouped 3-3-4, optional leading 1.
    let g: Vec<usize> = main
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    let nanp = |x: &[u8]| x.len() == 10 && x[0] >= 2 && x[3] >= 2;
    if (nanp(&md) && g == [3, 3, 4])
        || (md.len() == 11 && md[0] == 1 && nanp(&md[1..]) && g == [1, 3, 3, 4])
    {
        return true;
    }
    // National formats with a trunk 0: 0xx xxx xx xx and friends.
    md.first() == Some(&0) && (9..=11).contains(&md.len()) && md.get(1).is_some_and(|&x| x != 0)
}

/// Country code -> IBAN length.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

fn iban_spans(b: &[u8], found: &mut Vec<(&'static str, usize, usize)>) {
    if b.len() < 15 {
        return;
    }
    // An IBAN is two capitals and two check digits: look only where digits are.
    let mut d = super::next_digit(b, 2);
    while d + 1 < b.len() {
        let s = d - 2;
        d = super::next_digit(b, d + 1);
        if !(b[s].is_ascii_uppercase()
            && b[s + 1].is_ascii_uppercase()
            && b[s + 2].is_ascii_digit()
            && b[s + 3].is_ascii_digit())
        {
            continue;
        }
        if s > 0 && b[s - 1].is_ascii_alphanumeric() {
            continue;
        }
        let cc = [b[s], b[s + 1]];
        let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| c.as_bytes() == cc) else {
            continue;
        };
        let mut chars = Vec::with_capacity(len);
        let mut j = s;
        while j < b.len() && chars.len() < len {
            let c = b[j];
            if c.is_ascii_uppercase() || c.is_ascii_digit() {
                chars.push(c);
                j += 1;
            } else if c == b' '
                && j + 1 < b.len()
                && b[j + 1].is_ascii_alphanumeric()
                && chars.len() % 4 == 0
            {
                j += 1;
            } else {
                break;
            }
        }
        if chars.len() == len
            && b.get(j).is_none_or(|c| !c.is_ascii_alphanumeric())
            && mod97(&chars)
        {
            found.push(("iban", s, j));
        }
    }
}

fn mod97(chars: &[u8]) -> bool {
    let mut rem: u32 = 0;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            rem = (rem * 100 + u32::from(c - b'A' + 10)) % 97;
        }
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::TextField;

    fn rules(text: &str) -> Vec<(String, String)> {
        let p = Pii::new(&PiiConfig::default());
        let mut out = Vec::new();
        let mut sink = Sink {
            field: TextField::Input(0),
            text,
            out: &mut out,
        };
        p.detect(text, &mut sink);
        out.into_iter().map(|f| (f.rule, f.snippet)).collect()
    }

    #[test]
    fn valid_entities_are_found_with_exact_spans() {
        assert_eq!(
            rules("mail ana.lopez+x@mail.example.co.uk now"),
            [("email".into(), "ana.lopez+x@mail.example.co.uk".into())]
        );
        assert_eq!(rules("card 4111 1111 1111 1111 ok")[0].0, "card");
        assert_eq!(rules("amex 378282246310005")[0].0, "card");
        assert_eq!(
            rules("IBAN DE89 3704 0044 0532 0130 00.")[0],
            ("iban".into(), "DE89 3704 0044 0532 0130 00".into())
        );
        assert_eq!(rules("ssn 536-22-1930")[0].0, "ssn");
        assert_eq!(
            rules("call (415) 555-2671 or +44 20 7946 0958")[0].0,
            "phone"
        );
        assert_eq!(rules("call (415) 555-2671 or +44 20 7946 0958").len(), 2);
        assert_eq!(
            rules("host 192.168.10.4 and fe80::1ff:fe23:4567:890a")[1].0,
            "ip"
        );
    }

    #[test]
    fn look_alikes_are_not_flagged() {
        for t in [
            "card 4111 1111 1111 1112",
            "IBAN DE88 3704 0044 0532 0130 00",
            "ssn 666-12-3456 or 900-12-3456 or 123-45-6789 or 536-00-1930",
            "zip 94103-1234 and date 2024-12-24",
            "version 10.0.19041.1234 and OID 1.3.6.1.4.1.311",
            "ip 300.1.2.3",
            "isbn 9780306406157, epoch 1700000000000",
            "@user and react@18.2.0 and @dataclass",
            "time 10:30:45 and mac aa:bb:cc:dd:ee:ff",
            "uuid 123e4567-e89b-12d3-a456-426614174000",
        ] {
            assert!(rules(t).is_empty(), "{t}: {:?}", rules(t));
        }
    }
}
