package blob

import "testing"

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		uri, scheme, bucket, key string
		ok                       bool
	}{
		{"s3://b/k.parquet", "s3", "b", "k.parquet", true},
		{"S3://b/a/./b/", "s3", "b", "a/b/", true},
		{"s3://b", "s3", "b", "", true},
		{"s3://b/a/../etc", "", "", "", false},
		{"s3:///k", "", "", "", false},
		{"/local/path", "", "", "", false},
	} {
		s, b, k, ok := Split(c.uri)
		if s != c.scheme || b != c.bucket || k != c.key || ok != c.ok {
			t.Errorf("Split(%q) = %q %q %q %v", c.uri, s, b, k, ok)
		}
	}
}

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		uri, prefix string
		in          bool
	}{
		{"s3://b/team/x.parquet", "s3://b/team/", true},
		{"s3://b/team/x.parquet", "s3://b/team", true},
		{"s3://b/teams/x.parquet", "s3://b/team", false},
		{"s3://b/teams/x.parquet", "s3://b/team/", false},
		{"s3://b/team/../other/x", "s3://b/team/", false},
		{"s3://c/team/x", "s3://b/", false},
		{"s3://b/anything", "s3://b", true},
		{"gs://b/team/x", "s3://b/team/", false},
	} {
		if got := Within(c.uri, c.prefix); got != c.in {
			t.Errorf("Within(%q, %q) = %v", c.uri, c.prefix, got)
		}
	}
}

func TestVersioned(t *testing.T) {
	u := Versioned("s3://b/k.parquet", "V1")
	if p, v := SplitVersion(u); u != "s3://b/k.parquet?versionId=V1" || p != "s3://b/k.parquet" || v != "V1" {
		t.Errorf("Versioned: %s, split %s %s", u, p, v)
	}
	if u := Versioned("s3://b/k", ""); u != "s3://b/k" {
		t.Errorf("no version: %s", u)
	}
	if p, v := SplitVersion("s3://b/k"); p != "s3://b/k" || v != "" {
		t.Errorf("SplitVersion of a plain URI: %s %s", p, v)
	}
}
