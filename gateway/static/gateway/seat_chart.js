// Skyway seat-chart page: plain JS over the gateway's API (session auth + CSRF header), no build step.
(() => {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const state = { flight: null, flights: [], username: $("#session").dataset.username || "" };

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const retry = response.headers.get("Retry-After");
      const message = (data && (data.detail || data.title)) || `${response.status} ${response.statusText}`;
      throw new Error(retry ? `${message} (retry in ${retry}s)` : message);
    }
    return data;
  }

  function showError(message) {
    const box = $("#error");
    box.textContent = message;
    box.hidden = !message;
  }
  function showNotice(message) {
    const box = $("#notice");
    box.textContent = message;
    box.hidden = !message;
  }

  function setLoggedIn(username) {
    state.username = username;
    $("#username").textContent = username;
    $("#login-form").hidden = !!username;
    $("#whoami").hidden = !username;
    $("#picker").hidden = !username;
    if (!username) $("#chart-section").hidden = true;
  }

  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    showError("");
    try {
      const me = await api("POST", "/api/auth/session", { username: form.username.value, password: form.password.value });
      form.reset();
      setLoggedIn(me.username);
      await searchFlights();
    } catch (error) {
      showError(`Login failed: ${error.message}`);
    }
  });

  $("#logout").addEventListener("click", async () => {
    try { await api("DELETE", "/api/auth/session"); } catch (error) { /* already logged out */ }
    setLoggedIn("");
  });

  function flightLabel(flight) {
    const when = flight.departure.replace("T", " ").slice(0, 16);
    return `${flight.flight_no}  ${flight.origin_code} → ${flight.destination_code}  ${when}Z${flight.aircraft ? "  · " + flight.aircraft : ""}`;
  }

  async function searchFlights() {
    const form = $("#search-form");
    const params = new URLSearchParams();
    for (const name of ["date", "origin_code", "destination_code"]) {
      const value = form[name].value.trim();
      if (value) params.set(name, value);
    }
    showError("");
    try {
      state.flights = await api("GET", `/api/flights?${params}`);
    } catch (error) {
      showError(`Could not find flights: ${error.message}`);
      return;
    }
    const select = $("#flight-select");
    select.innerHTML = "";
    if (!state.flights.length) {
      select.append(new Option("no flights that day", ""));
      return;
    }
    for (const flight of state.flights) select.append(new Option(flightLabel(flight), flight.flight_id));
    await loadChart(state.flights[0].flight_id);
  }

  $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); searchFlights(); });
  $("#flight-select").addEventListener("change", (event) => { if (event.target.value) loadChart(event.target.value); });

  async function loadChart(flightId) {
    state.flight = state.flights.find((f) => f.flight_id === flightId) || { flight_id: flightId };
    $("#flight-select").value = flightId;
    let chart;
    try {
      chart = await api("GET", `/api/flights/${flightId}/seats`);
    } catch (error) {
      showError(`Could not load the seat chart: ${error.message}`);
      return;
    }
    $("#chart-section").hidden = false;
    $("#flight-title").textContent = state.flight.flight_no ? flightLabel(state.flight) : flightId;
    $("#degraded").hidden = !chart.degraded;
    $("#closed").hidden = !chart.closed;
    state.closed = !!chart.closed;
    drawChart(chart);
    loadMySeats();
  }

  function cell(className, text) {
    const div = document.createElement("div");
    div.className = className;
    if (text) div.textContent = text;
    return div;
  }

  function drawChart(chart) {
    const root = $("#chart");
    root.innerHTML = "";
    for (const cabin of chart.cabins) {
      const grid = document.createElement("div");
      grid.className = `cabin ${cabin.cabin_class.toLowerCase()}`;
      // exit mark | row number | seats with aisle gaps | wing/exit mark
      const template = ["2.6rem", "2.2rem"];
      for (const column of cabin.columns) {
        template.push("auto");
        if (column.aisle_after) template.push("18px");
      }
      template.push("2.6rem");
      grid.style.gridTemplateColumns = template.join(" ");
      const title = cell("cabin-title", `${cabin.cabin_class} · rows ${cabin.first_row}–${cabin.last_row}`);
      grid.append(title, cell(""), cell(""));
      for (const column of cabin.columns) {
        grid.append(cell("colhead", column.letter));
        if (column.aisle_after) grid.append(cell("aisle"));
      }
      grid.append(cell(""));
      for (const row of cabin.rows) {
        grid.append(row.exit ? cell("mark exit", "EXIT") : cell(""));
        grid.append(cell(`rowno${row.wing ? " row-wing" : ""}`, String(row.number)));
        const seats = new Map(row.seats.map((seat) => [seat.column, seat]));
        for (const column of cabin.columns) {
          const seat = seats.get(column.letter);
          grid.append(seat ? seatButton(seat) : cell(""));
          if (column.aisle_after) grid.append(cell("aisle"));
        }
        grid.append(row.exit ? cell("mark exit", "EXIT") : row.wing ? cell("mark wing", "wing") : cell(""));
      }
      root.append(grid);
    }
  }

  function seatButton(seat) {
    const button = document.createElement("button");
    const premium = seat.characteristics.includes("premium") ? " premium" : "";
    button.type = "button";
    button.className = `seat ${seat.status}${premium}`;
    button.dataset.seat = seat.seat;
    button.dataset.status = seat.status;
    button.textContent = seat.seat;
    button.title = `${seat.seat} — ${seat.status}${seat.characteristics.length ? " · " + seat.characteristics.join(", ") : ""}`;
    button.setAttribute("aria-label", `Seat ${seat.seat}, ${seat.status}`);
    if (seat.status === "taken" || state.closed) button.disabled = true; // a departed flight sells nothing
    button.addEventListener("click", () => onSeat(button, seat));
    return button;
  }

  async function onSeat(button, seat) {
    const flightId = state.flight.flight_id;
    showError("");
    showNotice("");
    button.classList.add("busy");
    try {
      if (seat.status === "yours") {
        if (!window.confirm(`Cancel seat ${seat.seat}?`)) return;
        await api("DELETE", `/api/flights/${flightId}/reservations/${seat.seat}`);
        showNotice(`Seat ${seat.seat} cancelled.`);
      } else if (seat.status === "free" || seat.status === "unknown") {
        await api("POST", `/api/flights/${flightId}/reservations`, { seat: seat.seat });
        showNotice(`Seat ${seat.seat} is yours.`);
      }
    } catch (error) {
      showError(`Seat ${seat.seat}: ${error.message}`);
    } finally {
      button.classList.remove("busy");
      await loadChart(flightId);
    }
  }

  async function loadMySeats() {
    const list = $("#my-seats");
    try {
      const mine = await api("GET", "/api/reservations");
      list.innerHTML = "";
      for (const item of mine) {
        const li = document.createElement("li");
        li.textContent = `${item.seat} on ${item.flight ? flightLabel(item.flight) : item.flight_id}`;
        list.append(li);
      }
      if (!mine.length) list.append(Object.assign(document.createElement("li"), { textContent: "none yet" }));
    } catch (error) {
      list.innerHTML = "";
      list.append(Object.assign(document.createElement("li"), { textContent: `unavailable: ${error.message}` }));
    }
  }

  if (state.username) searchFlights();
})();
