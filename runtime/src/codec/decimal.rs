//! Decimal numbers in packet heads (ids, attachment counts), written
//! without a temporary string, and their length for exactly sized buffers.

/// How many digits `number` has in decimal.
pub(crate) fn digits(mut number: u64) -> usize {
    let mut count = 1;
    while number >= 10 {
        number /= 10;
        count += 1;
    }
    count
}

/// Appends `number` in decimal.
pub(crate) fn push_number(out: &mut String, number: u64) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{number}");
}

#[cfg(test)]
mod tests {
    use super::{digits, push_number};

    #[test]
    fn digits_match_what_is_written() {
        for number in [0, 9, 10, 99, 100, 12_345, u64::MAX] {
            let mut out = String::new();
            push_number(&mut out, number);
            assert_eq!(out, number.to_string());
            assert_eq!(digits(number), out.len(), "{number}");
        }
    }
}
