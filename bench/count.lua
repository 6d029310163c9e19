-- wrk script: each thread stops after the number of answers given as the script's argument
-- (bench/latency: a fixed number of requests whatever the rate).
local limit = 0
local answered = 0

function init(args)
    limit = tonumber(args[1]) or 0
end

function response(status, headers, body)
    answered = answered + 1
    if limit > 0 and answered >= limit then
        wrk.thread:stop()
    end
end
