package search

import "testing"

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"deploy", "deploy"},
		{"deploys", "deploy"},
		{"deploying", "deploy"},
		{"deployed", "deploy"},
		{"deployment", "deploy"},
		{"deployments", "deploy"},
		{"policies", "policy"},
		{"queried", "query"},
		{"tests", "test"},
		{"testing", "test"},
		{"tester", "test"},
		{"running", "run"},
		{"configure", "configur"},
		{"configuration", "configur"},
		{"configured", "configur"},
		{"migrate", "migr"},
		{"migrating", "migr"},
		{"migration", "migr"},
		{"optimize", "optim"},
		{"optimizing", "optim"},
		{"optimization", "optim"},
		{"cache", "cach"},
		{"caching", "cach"},
		{"scalable", "scal"},
		{"scaling", "scal"},
		{"scalability", "scal"},
		{"debugger", "debug"},
		{"debugging", "debug"},
		{"documentation", "docu"},
		{"document", "docu"},
		{"architecture", "architect"},
		// Left alone: short words, words with digits, -ss/-us/-is endings,
		// and the exception list.
		{"api", "api"},
		{"user", "user"},
		{"k8s", "k8s"},
		{"oauth2", "oauth2"},
		{"class", "class"},
		{"status", "status"},
		{"analysis", "analysis"},
		{"redis", "redis"},
		{"business", "business"},
		{"ingress", "ingress"},
		// Not authentication's "auth", nor "local".
		{"authority", "authority"},
		{"authorities", "authority"},
		{"authors", "author"},
		{"localization", "localization"},
		{"localized", "localize"},
	}
	for _, tt := range tests {
		if got := stem(tt.in); got != tt.want {
			t.Errorf("stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStemIdempotentOnRoots guards index/query consistency: stemming a
// word's root again must not move it further, or a query typed as the root
// would miss.
func TestStemIdempotentOnRoots(t *testing.T) {
	for _, w := range []string{"deploying", "policies", "configuration", "caching", "debugger", "postgres", "kubernetes", "testing", "authorities", "localized"} {
		r := stem(w)
		if again := stem(r); again != r {
			t.Errorf("stem(stem(%q)) = %q, want %q", w, again, r)
		}
	}
}
