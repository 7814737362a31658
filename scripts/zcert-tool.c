/*
 * zcert-tool: a tiny CZMQ program for Ironhouse's certificate fixtures and peer tests.
 *
 *   zcert-tool save PATH [NAME=VALUE ...]   zcert_new + zcert_set_meta + zcert_save(PATH):
 *                                           writes PATH (public) and PATH_secret (secret).
 *   zcert-tool load PATH                    zcert_load(PATH) (reads PATH_secret first, as
 *                                           CZMQ does) and prints what it read:
 *                                             public <z85>
 *                                             secret <z85>       (forty '0' when none)
 *                                             meta <name>\t<value>
 *                                           exit 1 when zcert_load returns NULL.
 *
 * Build: gcc -o zcert-tool scripts/zcert-tool.c -lczmq -lzmq
 */
#include <czmq.h>
#include <stdio.h>
#include <string.h>

static int save (int argc, char **argv)
{
    zcert_t *cert = zcert_new ();
    if (!cert)
        return 1;
    for (int i = 3; i < argc; i++) {
        char *equals = strchr (argv [i], '=');
        if (!equals) {
            fprintf (stderr, "zcert-tool: expected NAME=VALUE, got %s\n", argv [i]);
            zcert_destroy (&cert);
            return 2;
        }
        *equals = 0;
        zcert_set_meta (cert, argv [i], "%s", equals + 1);
    }
    int rc = zcert_save (cert, argv [2]);
    if (rc == 0)
        printf ("public %s\n", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return rc == 0? 0: 1;
}

static int load (const char *path)
{
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        fprintf (stderr, "zcert-tool: zcert_load returned NULL for %s\n", path);
        return 1;
    }
    printf ("public %s\n", zcert_public_txt (cert));
    printf ("secret %s\n", zcert_secret_txt (cert));
    zlist_t *keys = zcert_meta_keys (cert);
    const char *key = (const char *) zlist_first (keys);
    while (key) {
        printf ("meta %s\t%s\n", key, zcert_meta (cert, key));
        key = (const char *) zlist_next (keys);
    }
    zlist_destroy (&keys);
    zcert_destroy (&cert);
    return 0;
}

int main (int argc, char **argv)
{
    if (argc >= 3 && streq (argv [1], "save"))
        return save (argc, argv);
    if (argc == 3 && streq (argv [1], "load"))
        return load (argv [2]);
    fprintf (stderr, "usage: zcert-tool save PATH [NAME=VALUE ...] | zcert-tool load PATH\n");
    return 2;
}
