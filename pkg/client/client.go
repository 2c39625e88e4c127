// Package client is Skiff's own small client for the apiserver, used by every
// component: kubeconfig loading, typed REST calls, watches, informers that keep an
// indexed local cache current, and (in workqueue) a rate-limited work queue.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"skiff/pkg/api"
)

// Client sends requests to one apiserver. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	token     string
	userAgent string
	limiter   *rate.Limiter
}

// New builds a client from cfg.
func New(cfg *Config) (*Client, error) {
	base, err := url.Parse(cfg.Server)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("client: invalid server URL %q", cfg.Server)
	}
	tlsCfg := &tls.Config{InsecureSkipVerify: cfg.Insecure, MinVersion: tls.VersionTLS12}
	if len(cfg.CAData) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CAData) {
			return nil, errors.New("client: no certificates in CA data")
		}
		tlsCfg.RootCAs = pool
	}
	if len(cfg.CertData) > 0 {
		pair, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
		if err != nil {
			return nil, fmt.Errorf("client: client certificate: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{pair}
	}
	if cfg.GetClientCertificate != nil {
		tlsCfg.Certificates, tlsCfg.GetClientCertificate = nil, cfg.GetClientCertificate
	}
	transport := &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     tlsCfg,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DialContext:         cfg.Dial,
	}
	c := &Client{base: base, http: &http.Client{Transport: transport}, token: cfg.Token, userAgent: cfg.UserAgent}
	if c.userAgent == "" {
		c.userAgent = "skiff-client"
	}
	if cfg.QPS > 0 {
		burst := cfg.Burst
		if burst < 1 {
			burst = 1
		}
		c.limiter = rate.NewLimiter(rate.Limit(cfg.QPS), burst)
	}
	return c, nil
}

// NewFromKubeconfig loads a kubeconfig file and builds a client from it.
func NewFromKubeconfig(path string) (*Client, error) {
	cfg, err := LoadKubeconfig(path)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// CloseIdleConnections closes connections not in use, so the next requests
// connect anew (and present a rotated client certificate).
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Request is one API call.
type Request struct {
	Method      string
	Path        string // e.g. /api/v1/namespaces/default/pods
	Query       url.Values
	Body        any // marshalled as JSON unless it is []byte
	ContentType string
	// Accept overrides the default "application/json".
	Accept string
	// Header holds extra headers, such as Impersonate-User.
	Header http.Header
	// Out receives the decoded JSON response; nil discards it.
	Out any
}

// Do sends req and decodes the answer into req.Out. A non-2xx answer is returned as
// *api.StatusError.
func (c *Client) Do(ctx context.Context, req Request) error {
	resp, err := c.send(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if req.Out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(req.Out); err != nil {
		return fmt.Errorf("client: decode %s %s: %w", req.Method, req.Path, err)
	}
	return nil
}

// send performs the request and returns the response if it is 2xx; the caller
// closes its body.
func (c *Client) send(ctx context.Context, req Request) (*http.Response, error) {
	resp, err := c.Send(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// Send performs the request and returns the response whatever its status code;
// the caller closes its body. Most callers want Do.
func (c *Client) Send(ctx context.Context, req Request) (*http.Response, error) {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + req.Path
	u.RawQuery = req.Query.Encode()
	var body io.Reader
	if req.Body != nil {
		data, ok := req.Body.([]byte)
		if !ok {
			var err error
			if data, err = json.Marshal(req.Body); err != nil {
				return nil, fmt.Errorf("client: encode body: %w", err)
			}
		}
		body = bytes.NewReader(data)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range req.Header {
		hreq.Header[k] = v
	}
	accept := req.Accept
	if accept == "" {
		accept = "application/json"
	}
	hreq.Header.Set("Accept", accept)
	hreq.Header.Set("User-Agent", c.userAgent)
	if req.Body != nil {
		ct := req.ContentType
		if ct == "" {
			ct = "application/json"
		}
		hreq.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.http.Do(hreq)
}

// decodeError turns an error response into *api.StatusError, from its Status body
// when it has one.
func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var st api.Status
	if json.Unmarshal(data, &st) == nil && st.Kind == "Status" {
		if st.Code == 0 {
			st.Code = int32(resp.StatusCode)
		}
		return &api.StatusError{ErrStatus: st}
	}
	msg := strings.TrimSpace(string(data))
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return api.NewGenericError(resp.StatusCode, reasonForCode(resp.StatusCode), msg)
}

func reasonForCode(code int) string {
	switch code {
	case http.StatusBadRequest:
		return api.ReasonBadRequest
	case http.StatusUnauthorized:
		return api.ReasonUnauthorized
	case http.StatusForbidden:
		return api.ReasonForbidden
	case http.StatusNotFound:
		return api.ReasonNotFound
	case http.StatusConflict:
		return api.ReasonConflict
	case http.StatusGone:
		return api.ReasonExpired
	case http.StatusUnprocessableEntity:
		return api.ReasonInvalid
	case http.StatusTooManyRequests:
		return api.ReasonTooManyRequests
	case http.StatusServiceUnavailable:
		return api.ReasonServiceUnavailable
	}
	return api.ReasonInternalError
}

// Raw sends a request and returns the raw response body of a 2xx answer, for
// endpoints that are not JSON objects (logs, metrics).
func (c *Client) Raw(ctx context.Context, req Request) ([]byte, error) {
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// Stream sends a request and returns the open body of a 2xx answer; the caller
// must close it. Watches and log follows use it.
func (c *Client) Stream(ctx context.Context, req Request) (io.ReadCloser, error) {
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
