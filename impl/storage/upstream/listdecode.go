package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/xml"
)

// A ListObjectsV2 page of 1 000 keys costs the SDK's XML deserializer
// about 60 % of the gateway's CPU in a listing (profiled over radosgw):
// it builds a token per element through encoding/xml. The backend reads
// the few fields it uses from the store's answer with a lexer instead,
// inside the SDK's call (signing, retries and error mapping stay the
// SDK's), and hands the SDK's deserializer an empty result.

// listPage is what the backend takes from a ListObjectsV2 answer.
type listPage struct {
	objects   []listEntry
	prefixes  []string
	truncated bool
	next      string // NextContinuationToken
}

type listEntry struct {
	key      string
	etag     string // as sent, quoted
	size     int64
	modified time.Time
}

// maxListAnswer bounds the answer read: 1 000 entries of 1 KiB keys
// written entirely as character references, with room to spare.
const maxListAnswer = 64 << 20

// emptyListAnswer is what the SDK's deserializer sees instead.
const emptyListAnswer = `<ListBucketResult></ListBucketResult>`

// decodeListPageInto returns an SDK API option that reads a successful
// ListObjectsV2 answer into page with decodeListPage.
func decodeListPageInto(page *listPage) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		// Added last to the deserialize step, it runs inside the
		// operation's deserializer: it sees the raw answer first.
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("s3gwListPage", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 {
				return out, md, err // errors are the SDK's to map
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxListAnswer+1))
			resp.Body.Close()
			if err != nil {
				return out, md, fmt.Errorf("reading the listing: %w", err)
			}
			if len(body) > maxListAnswer {
				return out, md, errors.New("listing answer larger than 64 MiB")
			}
			if *page, err = decodeListPage(body); err != nil {
				return out, md, err
			}
			resp.Body = io.NopCloser(strings.NewReader(emptyListAnswer))
			return out, md, nil
		}), middleware.After)
	}
}

// decodeListPage reads a ListBucketResult (ListObjectsV2's answer): the
// keys with their ETag, size and Last-Modified, the common prefixes,
// IsTruncated and NextContinuationToken. Other elements are skipped;
// malformed XML is an error.
func decodeListPage(doc []byte) (listPage, error) {
	var (
		page  pageState
		lx    = xml.NewLexer(parse.NewInputBytes(doc))
		path  []string // open elements, the root first
		text  []byte   // the innermost element's text so far
		entry listEntry
	)
	for {
		tt, data := lx.Next()
		switch tt {
		case xml.ErrorToken:
			if err := lx.Err(); err != io.EOF {
				return listPage{}, fmt.Errorf("listing answer: %w", err)
			}
			if len(path) > 0 || !page.rooted {
				return listPage{}, errors.New("listing answer: not a whole ListBucketResult")
			}
			return page.listPage, nil
		case xml.StartTagToken:
			name := elementName(lx.Text())
			if len(path) == 0 {
				if name != "ListBucketResult" || page.rooted {
					return listPage{}, fmt.Errorf("listing answer: root element %q", name)
				}
				page.rooted = true
			}
			path = append(path, name)
			text = text[:0]
			if len(path) == 2 && name == "Contents" {
				entry = listEntry{}
			}
		case xml.StartTagCloseVoidToken:
			// <Name/>: an empty element, closed at once.
			if err := page.end(path, nil, &entry); err != nil {
				return listPage{}, err
			}
			path = path[:len(path)-1]
		case xml.EndTagToken:
			if len(path) == 0 || path[len(path)-1] != elementName(lx.Text()) {
				return listPage{}, fmt.Errorf("listing answer: unexpected </%s>", lx.Text())
			}
			if err := page.end(path, text, &entry); err != nil {
				return listPage{}, err
			}
			path = path[:len(path)-1]
			text = text[:0]
		case xml.TextToken:
			if len(path) == 0 {
				if !parse.IsAllWhitespace(data) {
					return listPage{}, errors.New("listing answer: text outside the root element")
				}
				continue
			}
			text = append(text, data...)
		case xml.CDATAToken:
			// Escaped, to come out as it is from unescape.
			text = append(text, html.EscapeString(string(lx.Text()))...)
		}
	}
}

// elementName is a tag's name without a namespace prefix, for the names
// decodeListPage looks at, else "" (no allocation per element).
func elementName(name []byte) string {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	for _, n := range knownNames {
		if n == string(name) {
			return n
		}
	}
	return ""
}

var knownNames = []string{"ListBucketResult", "Contents", "CommonPrefixes", "IsTruncated", "NextContinuationToken",
	"Key", "ETag", "Size", "LastModified", "Prefix"}

// pageState is a page being decoded.
type pageState struct {
	listPage
	rooted bool
}

// end takes in the element path names (the root first) that closes with
// text (raw: character references not yet replaced).
func (p *pageState) end(path []string, text []byte, e *listEntry) error {
	switch len(path) {
	case 2:
		switch path[1] {
		case "Contents":
			if e.key == "" {
				return errors.New("listing answer: an entry without a Key")
			}
			p.objects = append(p.objects, *e)
		case "IsTruncated":
			v, err := strconv.ParseBool(string(bytes.TrimSpace(text)))
			if err != nil {
				return fmt.Errorf("listing answer: IsTruncated %q", text)
			}
			p.truncated = v
		case "NextContinuationToken":
			p.next = unescape(text)
		}
	case 3:
		if path[1] == "CommonPrefixes" && path[2] == "Prefix" {
			p.prefixes = append(p.prefixes, unescape(text))
		}
		if path[1] != "Contents" {
			break
		}
		switch path[2] {
		case "Key":
			e.key = unescape(text)
		case "ETag":
			e.etag = unescape(text)
		case "Size":
			n, err := strconv.ParseInt(string(bytes.TrimSpace(text)), 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("listing answer: Size %q", text)
			}
			e.size = n
		case "LastModified":
			t, err := time.Parse(time.RFC3339Nano, string(bytes.TrimSpace(text)))
			if err != nil {
				return fmt.Errorf("listing answer: LastModified %q", text)
			}
			e.modified = t
		}
	}
	return nil
}

// unescape replaces XML's character and entity references; text without
// them, nearly every key, is copied as it is. (html's superset of XML's
// five entities only matters for documents that are not XML.)
func unescape(text []byte) string {
	if bytes.IndexByte(text, '&') < 0 {
		return string(text)
	}
	return html.UnescapeString(string(text))
}
