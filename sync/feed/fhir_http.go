package feed

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Limits on what one pull asks of the core system.
const (
	// maxPages bounds the pages one search follows, so a server whose
	// next links never end cannot keep a pull going for ever.
	maxPages = 1000
	// maxPageBytes bounds one search page read into memory.
	maxPageBytes = 64 << 20
	// maxQueryBytes bounds a search URL's query, well under the 8 KB
	// that servers and proxies commonly accept.
	maxQueryBytes = 3000
)

// Timeouts of the feed's HTTP client. A search over a large ward can take
// a while to answer; connecting must not.
const (
	dialTimeout      = 10 * time.Second
	handshakeTimeout = 15 * time.Second
	headerTimeout    = 2 * time.Minute
	requestTimeout   = 5 * time.Minute
)

// newHTTPClient returns a client trusting the system's roots and the PEM
// certificates in caFile (if given), TLS 1.2 at least.
func newHTTPClient(caFile string) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, refused("read ca_file %s: %v", caFile, errors.Unwrap(err))
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, refused("ca_file %s holds no PEM certificate: give the trust's CA certificates in PEM", caFile)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	tr.TLSHandshakeTimeout = handshakeTimeout
	tr.ResponseHeaderTimeout = headerTimeout
	return &http.Client{Transport: tr, Timeout: requestTimeout}, nil
}

// auth gives each request its Authorization header: a bearer token read
// from a file at each pull, or an OAuth2 client-credentials token.
type auth struct {
	tokenFile string
	oauth     *OAuth2Config
	hc        *http.Client

	mu     sync.Mutex
	secret string             // the client secret the source was made with
	ts     oauth2.TokenSource // caches the token and fetches a new one before it expires
}

// begin is called at the start of each pull: it re-reads the token file,
// or the client secret (a changed secret makes a new token source).
func (a *auth) begin() (string, error) {
	switch {
	case a.tokenFile != "":
		b, err := os.ReadFile(a.tokenFile)
		if err != nil {
			return "", refused("read token_file %s: %v", a.tokenFile, errors.Unwrap(err))
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", refused("token_file %s is empty: put the core system's access token in it", a.tokenFile)
		}
		if strings.ContainsAny(tok, "\r\n") {
			return "", refused("token_file %s holds more than one line: put only the access token in it", a.tokenFile)
		}
		return tok, nil
	case a.oauth != nil:
		b, err := os.ReadFile(a.oauth.ClientSecretFile)
		if err != nil {
			return "", refused("read oauth2 client_secret_file %s: %v", a.oauth.ClientSecretFile, errors.Unwrap(err))
		}
		secret := strings.TrimSpace(string(b))
		if secret == "" {
			return "", refused("oauth2 client_secret_file %s is empty", a.oauth.ClientSecretFile)
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.ts == nil || secret != a.secret {
			cc := clientcredentials.Config{ClientID: a.oauth.ClientID, ClientSecret: secret, TokenURL: a.oauth.TokenURL, Scopes: a.oauth.Scopes}
			// The token is fetched with the feed's client (its CA and
			// timeouts), not the pull's context: the source outlives it.
			a.ts = cc.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, a.hc))
			a.secret = secret
		}
	}
	return "", nil
}

// header is the Authorization header for a request: the pull's bearer
// token, or the OAuth2 token (fetched only when the cached one expires).
func (a *auth) header(fileToken string) (string, error) {
	if fileToken != "" {
		return "Bearer " + fileToken, nil
	}
	a.mu.Lock()
	ts := a.ts
	a.mu.Unlock()
	if ts == nil {
		return "", nil
	}
	t, err := ts.Token()
	if err != nil {
		return "", a.tokenError(err)
	}
	return t.Type() + " " + t.AccessToken, nil
}

// refusedToken forgets the OAuth2 token after the server refused it, so
// the next pull fetches a new one.
func (a *auth) refusedToken() {
	a.mu.Lock()
	a.ts = nil
	a.mu.Unlock()
}

// tokenError says why the token endpoint gave no token, never with the
// secret or the endpoint's answer (which may echo it).
func (a *auth) tokenError(err error) error {
	where := redactURL(a.oauth.TokenURL)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := ""
		if re.ErrorCode != "" && len(re.ErrorCode) < 40 && !strings.ContainsAny(re.ErrorCode, " \n") {
			code = " (" + re.ErrorCode + ")"
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if status == 0 {
			return refused("get a token from %s: the client id or secret was refused%s", where, code)
		}
		if status >= 500 || status == http.StatusTooManyRequests {
			return &pullError{kind: ErrUnreachable, status: status, msg: fmt.Sprintf("HTTP %d from %s: the token endpoint is not working", status, where)}
		}
		return &pullError{kind: ErrRefused, status: status, msg: fmt.Sprintf("HTTP %d from %s: the client id or secret was refused%s", status, where, code)}
	}
	u, _ := url.Parse(a.oauth.TokenURL)
	if e := transportError(err, u); e != nil {
		return e
	}
	return refused("get a token from %s: the answer is not an OAuth2 token", where)
}

// transportError turns a failed round trip into plain words of one kind,
// or nil if err is not one.
func transportError(err error, u *url.URL) error {
	where := "the server"
	if u != nil {
		where = u.Scheme + "://" + u.Host
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		dns      *net.DNSError
		errno    syscall.Errno
		ne       net.Error
	)
	switch {
	case errors.As(err, &unknown):
		return refused("connect %s: certificate signed by unknown authority: set ca_file to the trust's CA certificates (PEM)", where)
	case errors.As(err, &hostname):
		return refused("connect %s: the server's certificate is not for this host name (%v): give the name on the certificate in base", where, hostname.Error())
	case errors.As(err, &invalid):
		return refused("connect %s: the server's certificate is not valid: %v", where, invalid.Error())
	case errors.As(err, &record):
		return refused("connect %s: the server does not speak TLS there: check the base URL's scheme and port", where)
	case errors.As(err, &alert):
		return refused("connect %s: the TLS handshake failed (%v): the server may need TLS 1.2 or a client certificate", where, alert.Error())
	case errors.As(err, &dns):
		return unreachable("connect %s: no such host", where)
	case errors.As(err, &errno):
		return unreachable("connect %s: %v", where, errno.Error())
	case errors.As(err, &ne) && ne.Timeout():
		return unreachable("connect %s: no answer in time", where)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return unreachable("connect %s: the connection was closed before an answer", where)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return unreachable("connect %s: %v", where, ue.Err)
	}
	return nil
}

// statusError says what an HTTP error status means, for a request to
// endpoint (the URL with no query).
func statusError(status int, endpoint string, oauth bool) error {
	e := &pullError{status: status, kind: ErrRefused}
	switch {
	case status == http.StatusUnauthorized && oauth:
		e.msg = fmt.Sprintf("HTTP 401 from %s: the OAuth2 access token was refused", endpoint)
	case status == http.StatusUnauthorized:
		e.msg = fmt.Sprintf("HTTP 401 from %s: the token was refused (check token_file holds a current token)", endpoint)
	case status == http.StatusForbidden:
		e.msg = fmt.Sprintf("HTTP 403 from %s: the token is not allowed to read this (check its scopes)", endpoint)
	case status == http.StatusNotFound:
		e.msg = fmt.Sprintf("HTTP 404 from %s: not found (check the base URL)", endpoint)
	case status == http.StatusGone:
		e.msg = fmt.Sprintf("HTTP 410 from %s: gone", endpoint)
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		e.kind = ErrUnreachable
		e.msg = fmt.Sprintf("HTTP %d from %s: the server is not working", status, endpoint)
	default:
		e.msg = fmt.Sprintf("HTTP %d from %s: the server refused the search", status, endpoint)
	}
	return e
}
