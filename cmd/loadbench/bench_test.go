package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestNoopDrift(t *testing.T) {
	cases := []struct {
		first, last, want float64
	}{
		{100000, 100000, 0},
		{100000, 90000, 0.10},
		{100000, 111000, 0.11},
		{159000, 154000, 5000.0 / 159000},
		{0, 1000, math.Inf(1)},
	}
	for _, c := range cases {
		if got := noopDrift(c.first, c.last); math.Abs(got-c.want) > 1e-12 && !(math.IsInf(got, 1) && math.IsInf(c.want, 1)) {
			t.Errorf("noopDrift(%v, %v) = %v, want %v", c.first, c.last, got, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name        string
		drift       float64
		attempt     int
		maxAttempts int
		want        verdict
	}{
		{"within the limit", 0.05, 1, 3, accept},
		{"exactly the limit is accepted", 0.10, 1, 3, accept},
		{"over the limit is repeated", 0.11, 1, 3, repeat},
		{"over the limit on the second of three", 0.5, 2, 3, repeat},
		{"over the limit on the last attempt is kept and marked", 0.11, 3, 3, giveUp},
		{"no retries allowed", 0.2, 1, 1, giveUp},
		{"within the limit on the last attempt", 0.01, 3, 3, accept},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := decide(c.drift, 0.10, c.attempt, c.maxAttempts); got != c.want {
				t.Errorf("decide = %d, want %d", got, c.want)
			}
		})
	}
}

func TestSetRatios(t *testing.T) {
	rows := []row{
		{Kind: "noop", Label: "no-op (first)", RPS: 100000},
		{Kind: "cookie", RPS: 72000},
		{Kind: "deny", RPS: 90000},
		{Kind: "noop_signed", RPS: 60000},
		{Kind: "signed", RPS: 45000},
		{Kind: "noop", Label: "no-op (last)", RPS: 80000},
	}
	setRatios(rows)
	want := []struct {
		ratio    float64
		baseline string
	}{{1, ""}, {0.8, "noop"}, {1, "noop"}, {1, ""}, {0.75, "noop_signed"}, {1, ""}}
	for i, w := range want {
		if math.Abs(rows[i].Ratio-w.ratio) > 1e-12 || rows[i].Baseline != w.baseline {
			t.Errorf("row %d (%s): ratio %v to %q, want %v to %q", i, rows[i].Kind, rows[i].Ratio, rows[i].Baseline, w.ratio, w.baseline)
		}
	}
}

func TestKindsByKey(t *testing.T) {
	ks, err := kindsByKey([]string{"signed", "cookie", "signed"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || ks[0].key != "signed" || ks[1].key != "cookie" {
		t.Errorf("kindsByKey = %+v", ks)
	}
	if _, err := kindsByKey([]string{"cookie", "rs256"}); err == nil {
		t.Error("an unknown kind was accepted")
	}
	for _, k := range kinds {
		if _, ok := instanceAlgs[k.inst]; !ok {
			t.Errorf("kind %s: instance %q has no algorithm", k.key, k.inst)
		}
		if (k.key == "deny") != (k.want == 401) {
			t.Errorf("kind %s expects %d", k.key, k.want)
		}
	}
}

func TestReport(t *testing.T) {
	rep := report{Settings: settings{Threads: 2, Conns: 64, WarmupSeconds: 3, MeasuredSeconds: 10, Endpoint: authPath, MaxDrift: 0.1},
		Passes: []pass{
			{Pass: 1, Attempts: 1, Drift: 0.02, Rows: []row{{Label: "no-op (first)", ExpectedStatus: 200, RPS: 150000.4, Ratio: 1}, {Label: "denied (no credential)", ExpectedStatus: 401, RPS: 120000, Ratio: 0.8, Non2xx: 1200000}}},
			{Pass: 2, Attempts: 3, RejectedDrift: []float64{0.2, 0.3}, Drift: 0.15, DriftExceeded: true},
		}}
	var md bytes.Buffer
	rep.writeMarkdown(&md)
	for _, want := range []string{
		"| denied (no credential) | 401 | 120000 | 0.80 |",
		"### Pass 2 (no-op drift 15.0 %, 3 attempts; rejected drifts 20.0 %, 30.0 %)",
		"**Unstable:",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Count(md.String(), "**Unstable:") != 1 {
		t.Errorf("only pass 2 is unstable:\n%s", md.String())
	}
	var js bytes.Buffer
	if err := rep.writeJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Passes[0].Rows[1].Non2xx != 1200000 || !back.Passes[1].DriftExceeded {
		t.Errorf("JSON round trip lost data: %s", js.String())
	}
}
