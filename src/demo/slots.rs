//! Slot values for one exchange, and the `«slot»` template filler. Values are picked once per
//! exchange so that the question, the tool call and the answer talk about the same order,
//! flight or function.

use super::corpus;
use rand::Rng;
use std::fmt::Write as _;

/// The concrete values of one exchange. Only indices and numbers: filling never allocates
/// beyond the output buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slots {
    order: u32,
    product: usize,
    month: usize,
    day: u32,
    days: u32,
    code: usize,
    amount_cents: u32,
    from: usize,
    to: usize,
    airline: usize,
    flight: u32,
    country: usize,
    pnr: [u8; 6],
    hotel: usize,
    nights: u32,
    time: usize,
    price: u32,
    weekday: usize,
    func: usize,
    module: usize,
}

impl Slots {
    /// Fresh values for one exchange.
    pub(crate) fn random<R: Rng>(rng: &mut R) -> Self {
        const PNR: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let from = rng.gen_range(0..corpus::CITIES.len());
        let to = (from + rng.gen_range(1..corpus::CITIES.len())) % corpus::CITIES.len();
        let mut pnr = [0u8; 6];
        for b in &mut pnr {
            *b = PNR[rng.gen_range(0..PNR.len())];
        }
        Slots {
            order: rng.gen_range(100_000..999_999),
            product: rng.gen_range(0..corpus::PRODUCTS.len()),
            month: rng.gen_range(0..corpus::MONTHS.len()),
            day: rng.gen_range(1..29),
            days: rng.gen_range(3..28),
            code: rng.gen_range(0..corpus::CODES.len()),
            amount_cents: rng.gen_range(999..49_999),
            from,
            to,
            airline: rng.gen_range(0..corpus::AIRLINES.len()),
            flight: rng.gen_range(10..2_999),
            country: rng.gen_range(0..corpus::COUNTRIES.len()),
            pnr,
            hotel: rng.gen_range(0..corpus::HOTELS.len()),
            nights: rng.gen_range(2..8),
            time: rng.gen_range(0..corpus::TIMES.len()),
            price: rng.gen_range(89..1_400),
            weekday: rng.gen_range(0..corpus::WEEKDAYS.len()),
            func: rng.gen_range(0..corpus::FUNCS.len()),
            module: rng.gen_range(0..corpus::MODULES.len()),
        }
    }

    /// Appends `tpl` to `out` with every `«name»` replaced by this exchange's value. Unknown
    /// names are kept as written so a typo shows up in the output rather than vanishing.
    pub(crate) fn fill(&self, out: &mut String, tpl: &str) {
        let mut rest = tpl;
        while let Some(open) = rest.find('«') {
            out.push_str(&rest[..open]);
            let after = &rest[open + '«'.len_utf8()..];
            let Some(close) = after.find('»') else {
                out.push_str(&rest[open..]);
                return;
            };
            let name = &after[..close];
            if !self.write_slot(out, name) {
                out.push_str(&rest[open..open + '«'.len_utf8() + close + '»'.len_utf8()]);
            }
            rest = &after[close + '»'.len_utf8()..];
        }
        out.push_str(rest);
    }

    fn write_slot(&self, out: &mut String, name: &str) -> bool {
        // `write!` into a String cannot fail, hence the ignored results.
        match name {
            "order" => _ = write!(out, "ORD-{}", self.order),
            "product" => out.push_str(corpus::PRODUCTS[self.product]),
            "date" => _ = write!(out, "{} {}", corpus::MONTHS[self.month], self.day),
            "day" => _ = write!(out, "{:02}", self.day),
            "days" => _ = write!(out, "{}", self.days),
            "code" => out.push_str(corpus::CODES[self.code]),
            "amount" => {
                _ = write!(
                    out,
                    "${}.{:02}",
                    self.amount_cents / 100,
                    self.amount_cents % 100
                )
            }
            "from" => out.push_str(corpus::CITIES[self.from]),
            "to" => out.push_str(corpus::CITIES[self.to]),
            "airline" => out.push_str(corpus::AIRLINES[self.airline].0),
            "flight" => _ = write!(out, "{}{}", corpus::AIRLINES[self.airline].1, self.flight),
            "country" => out.push_str(corpus::COUNTRIES[self.country]),
            "pnr" => out.extend(self.pnr.iter().map(|&b| char::from(b))),
            "hotel" => out.push_str(corpus::HOTELS[self.hotel]),
            "nights" => _ = write!(out, "{}", self.nights),
            "time" => out.push_str(corpus::TIMES[self.time]),
            "price" => _ = write!(out, "{}", self.price),
            "weekday" => out.push_str(corpus::WEEKDAYS[self.weekday]),
            "func" => out.push_str(corpus::FUNCS[self.func]),
            "module" => out.push_str(corpus::MODULES[self.module]),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn all_templates() -> Vec<&'static str> {
        use corpus::*;
        let mut v = Vec::new();
        for set in [
            SUPPORT_INTENTS,
            SUPPORT_FOLLOWUPS,
            SUPPORT_TOPIC,
            TRAVEL_INTENTS,
            TRAVEL_FOLLOWUPS,
            TRAVEL_TOPIC,
            CODE_INTENTS,
            CODE_FOLLOWUPS,
            CODE_TOPIC,
        ] {
            for i in set {
                v.push(i.prompt);
                v.extend(i.responses.iter().copied());
            }
        }
        for set in [SUPPORT_TOOLS, TRAVEL_TOOLS, CODE_TOOLS] {
            for t in set {
                v.extend([t.prompt, t.arguments, t.result]);
                v.extend(t.responses.iter().copied());
            }
        }
        v
    }

    #[test]
    fn every_slot_in_the_corpus_is_known() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(1);
        let slots = Slots::random(&mut rng);
        for tpl in all_templates() {
            let mut out = String::new();
            slots.fill(&mut out, tpl);
            assert!(
                !out.contains('«') && !out.contains('»'),
                "unfilled slot in {tpl:?}"
            );
        }
    }

    #[test]
    fn tool_arguments_and_results_are_json_where_they_claim_to_be() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(2);
        let slots = Slots::random(&mut rng);
        for t in corpus::SUPPORT_TOOLS
            .iter()
            .chain(corpus::TRAVEL_TOOLS)
            .chain(corpus::CODE_TOOLS)
        {
            let mut args = String::new();
            slots.fill(&mut args, t.arguments);
            serde_json::from_str::<serde_json::Value>(&args).unwrap();
            if t.result.starts_with(['{', '[']) {
                let mut res = String::new();
                slots.fill(&mut res, t.result);
                serde_json::from_str::<serde_json::Value>(&res).unwrap();
            }
        }
    }

    #[test]
    fn unknown_slots_stay_visible() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
        let mut out = String::new();
        Slots::random(&mut rng).fill(&mut out, "a «nope» b «unclosed");
        assert_eq!(out, "a «nope» b «unclosed");
    }
}
