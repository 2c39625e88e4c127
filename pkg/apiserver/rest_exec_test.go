package apiserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestParseExecOptions(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		want     execOptions
		wantCode int
		wantMsg  string
	}{
		{name: "kubectl exec", query: "command=sh&command=-c&command=echo+hi&container=app&stdout=true&stderr=true",
			want: execOptions{command: []string{"sh", "-c", "echo hi"}, container: "app", stdout: true, stderr: true}},
		{name: "kubectl exec -it: stderr is the terminal", query: "command=sh&stdin=true&stdout=true&stderr=true&tty=true",
			want: execOptions{command: []string{"sh"}, stdin: true, stdout: true, tty: true}},
		{name: "no command", query: "stdout=true", wantCode: 400, wantMsg: "you must specify at least 1 command"},
		{name: "empty command", query: "command=&stdout=true", wantCode: 400, wantMsg: "you must specify at least 1 command"},
		{name: "no stream", query: "command=ls", wantCode: 400, wantMsg: "you must specify at least one of stdin, stdout, stderr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseExecOptions(q)
			if tt.wantCode != 0 {
				if code := api.CodeOf(err); code != tt.wantCode || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("got %d %v, want %d with %q", code, err, tt.wantCode, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(execOptions{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestExitStatus: the final Status is byte for byte what the kubelet sends,
// which client-go's v4 error decoder reads.
func TestExitStatus(t *testing.T) {
	for _, tt := range []struct {
		code int32
		want string
	}{
		{0, `{"metadata":{},"status":"Success"}`},
		{3, `{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",` +
			`"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}`},
	} {
		st := exitStatus(tt.code, []string{"sh", "-c", "exit 3"})
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("exit %d:\n got %s\nwant %s", tt.code, b, tt.want)
		}
	}
}

func TestExecProtocol(t *testing.T) {
	req := func(h map[string]string) *http.Request {
		r, _ := http.NewRequest("GET", "/api/v1/namespaces/default/pods/x/exec", nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	ws := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-Websocket-Version": "13", "Sec-Websocket-Key": "x"}
	with := func(p string) map[string]string {
		h := map[string]string{"Sec-Websocket-Protocol": p}
		for k, v := range ws {
			h[k] = v
		}
		return h
	}
	for _, tt := range []struct {
		name    string
		h       map[string]string
		want    string
		wantMsg string
	}{
		{"v5 preferred", with("v4.channel.k8s.io, v5.channel.k8s.io"), "v5.channel.k8s.io", ""},
		{"v4", with("v4.channel.k8s.io"), "v4.channel.k8s.io", ""},
		{"only older versions", with("channel.k8s.io, v3.channel.k8s.io"), "", "speaks the WebSocket subprotocols v5.channel.k8s.io, v4.channel.k8s.io"},
		{"SPDY (kubectl before 1.30)", map[string]string{"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}, "",
			`asked to upgrade to "SPDY/3.1" (SPDY, which kubectl before 1.30 uses and Skiff does not speak): use kubectl 1.30 or later`},
		{"no upgrade", nil, "", "pods/exec is served over WebSocket only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := execProtocol(req(tt.h))
			if tt.wantMsg != "" {
				if api.CodeOf(err) != 400 || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("got %v, want 400 with %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
