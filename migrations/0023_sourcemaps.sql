-- JavaScript source maps (issue 14): the map of one minified file of one version of one web
-- app, as uploaded (POST /api/v1/sourcemaps) or loaded from `sourcemaps.directory`. `file` is
-- the minified file's URL path (`/assets/index-B3k1.js`) or its base name; stack frames are
-- matched by their file URL's path, then by its base name.
CREATE TABLE sourcemaps (
    id          bigserial PRIMARY KEY,
    app         text NOT NULL,
    version     text NOT NULL,
    file        text NOT NULL,
    map         bytea NOT NULL,
    bytes       integer NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (app, version, file)
);
