// Package textnorm folds text for comparison and makes URL slugs: Unicode
// NFKD, diacritics removed, case folded. It imports no internal package.
package textnorm

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

var folder = cases.Fold()

// Fold returns s as searches compare it: compatibility-decomposed (NFKD:
// full-width and half-width forms, ligatures and the like become plain
// letters), without diacritics, case-folded, with every run of characters
// other than letters and digits as one space, trimmed. The voicing marks
// of kana stay: in Japanese they tell words apart (ハ, バ, パ).
func Fold(s string) string {
	d := norm.NFKD.String(folder.String(norm.NFKD.String(s)))
	var b strings.Builder
	b.Grow(len(d))
	space := false
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r) && r != '\u3099' && r != '\u309a':
			continue // a diacritic
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}

// Slug returns s as a URL slug: its ASCII letters and digits after Fold
// (other letters drop out, as in the original service), lower-case, words
// joined by single hyphens, at
// most max bytes, cut at a word boundary when it can be. It is "" when s
// has no ASCII letter or digit.
func Slug(s string, max int) string {
	var b strings.Builder
	hyphen := false
	for _, r := range Fold(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		case r == ' ':
			hyphen = true
		}
	}
	slug := b.String()
	if len(slug) <= max {
		return slug
	}
	slug = slug[:max]
	if i := strings.LastIndexByte(slug, '-'); i > 0 {
		slug = slug[:i]
	}
	return strings.TrimRight(slug, "-")
}

// Norm is Fold and Slug as methods, for callers that take them through an
// interface.
type Norm struct{}

// Fold is the package's Fold.
func (Norm) Fold(s string) string { return Fold(s) }

// Slug is the package's Slug.
func (Norm) Slug(s string, max int) string { return Slug(s, max) }
