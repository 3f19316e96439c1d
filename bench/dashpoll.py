#!/usr/bin/env python3
"""bench/dashpoll.py BASE_URL STOP_FILE INTERVAL_MS

One dashboard's polling, as the page does it (simulator/dashboard/app.js:
GET /dashboard/api/view as lab:lab over one kept-alive connection, the
next request INTERVAL_MS after the answer), until STOP_FILE exists.
INTERVAL_MS 0 polls without pause.  One process for the whole run, so
that what the run measures is dpsim answering, not a client starting
for every refresh.  Prints the number of refreshes made; exits 1 on a
failed one."""
import base64
import http.client
import os
import sys
import time
import urllib.parse


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: dashpoll.py BASE_URL STOP_FILE INTERVAL_MS")
    url = urllib.parse.urlsplit(sys.argv[1])
    stop, interval = sys.argv[2], int(sys.argv[3]) / 1000.0
    auth = "Basic " + base64.b64encode(b"lab:lab").decode()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    n = 0
    while not os.path.exists(stop):
        conn.request("GET", "/dashboard/api/view",
                     headers={"Authorization": auth})
        r = conn.getresponse()
        body = r.read()
        if r.status != 200 or not body.startswith(b"{"):
            print(f"dashpoll: refresh {n + 1} answered {r.status}",
                  file=sys.stderr)
            sys.exit(1)
        n += 1
        if interval:
            time.sleep(interval)
    print(n)


if __name__ == "__main__":
    main()
