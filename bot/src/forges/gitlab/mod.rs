//! GitLab: webhook verification, payloads, the REST v4 client. Not yet wired into the
//! server and workers (see docs/gitlab.md).
