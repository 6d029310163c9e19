-- wrk script: POST /api/donors with a new email on every request (per thread and counter), so
-- that each request is a real conditional PutItem that succeeds.
local counter = 0
local thread_tag = ""

function setup(thread)
    thread:set("tag", tostring(math.random(1, 1e9)))
end

function init(args)
    thread_tag = tag or tostring(math.random(1, 1e9))
end

function request()
    counter = counter + 1
    local body = string.format(
        '{"email":"bench-%s-%d@example.com","first_name":"Bench","city":"Benchville","type":"O+"}',
        thread_tag, counter)
    return wrk.format("POST", "/api/donors", {["Content-Type"] = "application/json"}, body)
end
