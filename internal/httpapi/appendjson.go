package httpapi

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The list endpoints answer the hottest reads with up to 1,000 rows;
// encoding/json's reflection (and its re-validation of every time.Time)
// was a quarter of their CPU. These appenders write the same JSON by hand.
// TestAppendJSONMatchesEncodingJSON holds them to encoding/json.

// jsonItem is a row that can append itself as a JSON object.
type jsonItem interface {
	appendJSON(b []byte) []byte
}

// appendArray encodes items as a JSON array.
func appendArray[T jsonItem](b []byte, items []T) []byte {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = it.appendJSON(b)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as with encoding/json; so do its escapes of <, >, & and U+2028/9.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendField(b []byte, name string) []byte {
	return append(append(append(b, '"'), name...), '"', ':')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	return append(t.AppendFormat(b, time.RFC3339Nano), '"')
}

func appendFloat(b []byte, f float64) []byte {
	// encoding/json's format: shortest repr, exponent only for very large
	// or small magnitudes.
	abs := f
	if abs < 0 {
		abs = -abs
	}
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' { // clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func (it libraryItemResponse) appendJSON(b []byte) []byte {
	b = appendField(append(b, '{'), "id")
	b = strconv.AppendInt(b, it.ID, 10)
	b = appendField(append(b, ','), "user_id")
	b = strconv.AppendInt(b, it.UserID, 10)
	b = appendString(appendField(append(b, ','), "provider"), it.Provider)
	b = appendString(appendField(append(b, ','), "title_id"), it.TitleID)
	b = appendString(appendField(append(b, ','), "status"), it.Status)
	b = strconv.AppendBool(appendField(append(b, ','), "is_favorite"), it.IsFavorite)
	b = appendField(append(b, ','), "score")
	if it.Score == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*it.Score), 10)
	}
	b = appendField(append(b, ','), "notes")
	if it.Notes == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *it.Notes)
	}
	b = appendTime(appendField(append(b, ','), "created_at"), it.CreatedAt)
	b = appendTime(appendField(append(b, ','), "updated_at"), it.UpdatedAt)
	return append(b, '}')
}

func (p progressResponse) appendJSON(b []byte) []byte {
	b = appendField(append(b, '{'), "id")
	b = strconv.AppendInt(b, p.ID, 10)
	b = appendField(append(b, ','), "user_id")
	b = strconv.AppendInt(b, p.UserID, 10)
	b = appendString(appendField(append(b, ','), "provider"), p.Provider)
	b = appendString(appendField(append(b, ','), "title_id"), p.TitleID)
	b = appendString(appendField(append(b, ','), "episode_id"), p.EpisodeID)
	b = appendFloat(appendField(append(b, ','), "position_seconds"), p.PositionSeconds)
	b = appendFloat(appendField(append(b, ','), "duration_seconds"), p.DurationSeconds)
	b = appendField(append(b, ','), "client_updated_at")
	if p.ClientUpdatedAt == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *p.ClientUpdatedAt, 10)
	}
	b = appendTime(appendField(append(b, ','), "updated_at"), p.UpdatedAt)
	return append(b, '}')
}

func (h historyResponse) appendJSON(b []byte) []byte {
	b = appendField(append(b, '{'), "id")
	b = strconv.AppendInt(b, h.ID, 10)
	b = appendField(append(b, ','), "user_id")
	b = strconv.AppendInt(b, h.UserID, 10)
	b = appendString(appendField(append(b, ','), "provider"), h.Provider)
	b = appendString(appendField(append(b, ','), "title_id"), h.TitleID)
	b = appendString(appendField(append(b, ','), "episode_id"), h.EpisodeID)
	b = appendField(append(b, ','), "position_seconds")
	if h.PositionSeconds == nil {
		b = append(b, "null"...)
	} else {
		b = appendFloat(b, *h.PositionSeconds)
	}
	b = appendTime(appendField(append(b, ','), "watched_at"), h.WatchedAt)
	return append(b, '}')
}
