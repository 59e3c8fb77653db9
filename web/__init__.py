"""What every request shares, whichever app serves it: the visitor's address, the content
security policy, the shared page cache and its purges, compression, the sign-in lockout, the
read API's plumbing, request ids and error tracking, the health check and the error pages."""
