// Shared by the tests, one header per kind; this one includes them all, for tests that use several.
#pragma once

#include "clients.hpp"      // LineClient, smtp_data, port_accepts
#include "files.hpp"        // TempDir, read_file, write_file, fixture
#include "http.hpp"         // http_get, has_sample
#include "mailboxes.hpp"    // test_settings, test_message, read_mailbox
#include "privileges.hpp"   // become_unprivileged, RootScope
#include "proc_probes.hpp"  // process_with_argument, cpu_seconds, status_kib
#include "processes.hpp"    // run, run_split, Background, wait_until
