//! The compiled glob matcher agrees with a naive recursive reference on random patterns and texts.

use codeport_policy::{glob_match, Case, Glob};
use proptest::prelude::*;

/// Reference: direct recursive definition over characters (exponential, fine for short inputs).
fn reference(p: &[char], t: &[char], fold: bool) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..], fold)),
        Some(('?', rest)) => !t.is_empty() && reference(rest, &t[1..], fold),
        Some((c, rest)) => match t.split_first() {
            Some((d, trest)) => {
                let eq = if fold { c.eq_ignore_ascii_case(d) } else { c == d };
                eq && reference(rest, trest, fold)
            }
            None => false,
        },
    }
}

fn check(p: &str, t: &str) -> Result<(), TestCaseError> {
    let pc: Vec<char> = p.chars().collect();
    let tc: Vec<char> = t.chars().collect();
    for (case, fold) in [(Case::Insensitive, true), (Case::Sensitive, false)] {
        let want = reference(&pc, &tc, fold);
        prop_assert_eq!(Glob::new(p, case).matches(t), want, "pattern {:?} text {:?} {:?}", p, t, case);
        prop_assert_eq!(glob_match(p, t, case), want);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn matcher_agrees_with_reference(p in "[abA*?é:]{0,9}", t in "[abAB:é]{0,12}") {
        check(&p, &t)?;
    }

    /// Texts built from the pattern (wildcards replaced) must mostly match: exercises the positive side.
    #[test]
    fn matcher_agrees_on_derived_texts(p in "[ab*?é]{0,8}", fill in "[abé]{0,3}") {
        let t: String = p.chars().map(|c| match c { '*' => fill.clone(), '?' => "b".to_owned(), c => c.to_string() }).collect();
        check(&p, &t)?;
        check(&p, &t.to_uppercase())?;
    }

    /// Texts longer than the stack buffer take the case-folding path; it must agree too.
    #[test]
    fn long_texts_agree(p in "[abA*?é]{0,8}", t in "[abAB]{0,10}") {
        let long_p = "x".repeat(300) + &p;
        check(&long_p, &("X".repeat(300) + &t))?;
        check(&long_p, &("x".repeat(300) + &t))?;
    }
}
