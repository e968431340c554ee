package s3api

import (
	"bytes"
	"encoding/xml"
	"strconv"
)

// A listing page is the largest document the gateway writes, up to 1 000
// entries, and the one it writes most: encoding/xml's reflection took a
// visible share of the gateway's CPU in a listing. appendXML writes the
// same bytes as xml.Marshal (TestListXMLAsMarshal, FuzzListXML hold it to
// that) by hand.

// appendXML appends r as xml.Marshal encodes it.
func (r *listBucketResult) appendXML(b []byte) []byte {
	b = append(b, `<ListBucketResult xmlns="`...)
	b = appendText(b, r.Xmlns)
	b = append(b, `">`...)
	b = appendElem(b, "Name", r.Name)
	b = appendElem(b, "Prefix", r.Prefix)
	if r.Marker != nil {
		b = appendElem(b, "Marker", *r.Marker)
	}
	b = appendNonEmpty(b, "NextMarker", r.NextMarker)
	b = appendNonEmpty(b, "ContinuationToken", r.ContinuationToken)
	b = appendNonEmpty(b, "NextContinuationToken", r.NextContinuationToken)
	b = appendNonEmpty(b, "StartAfter", r.StartAfter)
	if r.KeyCount != nil {
		b = append(b, "<KeyCount>"...)
		b = strconv.AppendInt(b, int64(*r.KeyCount), 10)
		b = append(b, "</KeyCount>"...)
	}
	b = append(b, "<MaxKeys>"...)
	b = strconv.AppendInt(b, int64(r.MaxKeys), 10)
	b = append(b, "</MaxKeys>"...)
	b = appendNonEmpty(b, "Delimiter", r.Delimiter)
	b = appendNonEmpty(b, "EncodingType", r.EncodingType)
	b = append(b, "<IsTruncated>"...)
	b = strconv.AppendBool(b, r.IsTruncated)
	b = append(b, "</IsTruncated>"...)
	for i := range r.Contents {
		c := &r.Contents[i]
		b = append(b, "<Contents>"...)
		b = appendElem(b, "Key", c.Key)
		b = appendElem(b, "LastModified", c.LastModified)
		b = appendElem(b, "ETag", c.ETag)
		b = append(b, "<Size>"...)
		b = strconv.AppendInt(b, c.Size, 10)
		b = append(b, "</Size>"...)
		if c.Owner != nil {
			b = append(b, "<Owner>"...)
			b = appendElem(b, "ID", c.Owner.ID)
			b = appendElem(b, "DisplayName", c.Owner.DisplayName)
			b = append(b, "</Owner>"...)
		}
		b = appendElem(b, "StorageClass", c.StorageClass)
		b = append(b, "</Contents>"...)
	}
	for _, p := range r.CommonPrefixes {
		b = append(b, "<CommonPrefixes>"...)
		b = appendElem(b, "Prefix", p.Prefix)
		b = append(b, "</CommonPrefixes>"...)
	}
	return append(b, "</ListBucketResult>"...)
}

func appendElem(b []byte, name, text string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendText(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendNonEmpty is appendElem for an omitempty field.
func appendNonEmpty(b []byte, name, text string) []byte {
	if text == "" {
		return b
	}
	return appendElem(b, name, text)
}

// appendText appends s escaped as xml.EscapeText escapes it (which is how
// Marshal escapes text and attributes); text without a byte to escape,
// most keys, is copied as is.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\'' || c == '&' || c == '<' || c == '>' {
			buf := bytes.NewBuffer(b)
			_ = xml.EscapeText(buf, []byte(s))
			return buf.Bytes()
		}
	}
	return append(b, s...)
}
