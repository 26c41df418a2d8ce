vcl 4.1;
# Varnish in front of the site's web processes (docs/deploy.md, "CDN and Varnish"). What it keeps is
# what the site marks shared (`Cache-Control: public, s-maxage=…`, events/http_cache.py), for
# s-maxage; edits purge it (events/purge.py sends a PURGE per address, through Wagtail's front-end
# cache invalidation: WAGTAILFRONTENDCACHE = {"varnish": {"BACKEND": "events.purge.HTTPBackend",
# "LOCATION": "http://<this varnish>"}}). Set the backend (or a director of several) and the
# purgers below to your web processes and task workers; LANGUAGES below to the site's LANGUAGES.

import std;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .first_byte_timeout = 30s;
}

# Who may purge: the machines that publish (web processes, task workers).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        # The address's path with ANY query string: a listing's and the API's searches cannot be
        # listed one by one, so a purge of /events/ is a ban of /events/?q=…, /events/?page=2, …
        # (and of an event page's ?utm_… copies). Matched on the object (lurker-friendly bans).
        ban("obj.http.x-host == " + req.http.host + " && obj.http.x-path == " + regsub(req.url, "\?.*$", ""));
        return (synth(200, "Purged"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # A session (someone signed in, or a buyer's orders in this browser) or messages waiting to be
    # shown: the answer is personal, never from the cache and never kept (the site says private).
    # (Django's SESSION_COOKIE_NAME and the messages cookie; change them here if you renamed them.)
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    # The language: the language switcher's cookie, else the first of the browser's languages the
    # site has (browsers list theirs by preference); none: the site's default. The site answers
    # by Accept-Language (LocaleMiddleware: `Vary: Accept-Language, Cookie`), so what the cache
    # keys on is at most one copy per language.
    if (req.http.Cookie ~ "(^|;\s*)django_language=") {
        set req.http.Accept-Language = regsub(req.http.Cookie, "^(.*;\s*)?django_language=([^;]*).*$", "\2");
    }
    if (req.http.Accept-Language) {
        # LANGUAGES: en|es
        set req.http.Accept-Language = std.tolower(regsuball(req.http.Accept-Language, "(?i)(^|,)\s*(?!(en|es)(-|;|,|$))[^,]*", ""));
        set req.http.Accept-Language = regsub(req.http.Accept-Language, "^[,\s]*(en|es).*$", "\1");
        if (req.http.Accept-Language !~ "^(en|es)$") {
            unset req.http.Accept-Language;
        }
    }
    # No other cookie (a CSRF token, analytics) changes what a shared page shows, so none is part of
    # the lookup. They still go to the site on a miss (vcl_backend_fetch): a form keeps the visitor's
    # CSRF cookie (two tabs stay valid), and a page that uses it renews it with Set-Cookie, so is
    # never kept (below).
    set req.http.X-Cookie = req.http.Cookie;
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_fetch {
    if (bereq.http.X-Cookie) {
        set bereq.http.Cookie = bereq.http.X-Cookie;
        unset bereq.http.X-Cookie;
    }
}

sub vcl_backend_response {
    # What a PURGE's ban matches.
    set beresp.http.x-host = bereq.http.host;
    set beresp.http.x-path = regsub(bereq.url, "\?.*$", "");
    # Only what the site marks shared is kept: never a response without s-maxage, setting a cookie,
    # or marked private or no-store (registrations, previews, signed-in visitors, the live seats).
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control !~ "(^|,)\s*public" || beresp.http.Cache-Control !~ "s-maxage"
        || beresp.http.Cache-Control ~ "private|no-store|no-cache") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # The site says `Vary: Cookie` (the language cookie, a session); here sessions never reach the
    # cache and the language is in Accept-Language, so copies vary on that alone (given back below).
    set beresp.http.Vary = regsuball(beresp.http.Vary, "(?i)(^|,)\s*Cookie\s*(?=,|$)", "");
    set beresp.http.Vary = regsub(beresp.http.Vary, "^,\s*", "");
    if (beresp.http.Vary == "") {
        unset beresp.http.Vary;
    }
    set beresp.http.x-vary-cookie = "1";
    # A little grace: while a copy past s-maxage is fetched again, visitors get the old one.
    set beresp.grace = 30s;
    return (deliver);
}

sub vcl_deliver {
    unset resp.http.x-host;
    unset resp.http.x-path;
    if (resp.http.x-vary-cookie) {
        unset resp.http.x-vary-cookie;
        if (resp.http.Vary) {
            set resp.http.Vary = resp.http.Vary + ", Cookie";
        } else {
            set resp.http.Vary = "Cookie";
        }
    }
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
