/* A library named libgssapi_krb5.so.2 that has the first call of
 * gsslib's table and not the second: test_gsslib loads it through
 * LD_LIBRARY_PATH to see the call that is missing named. */
void gss_accept_sec_context(void);

void gss_accept_sec_context(void)
{
}
