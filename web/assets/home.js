// Home page: the first few partner companies, from the public listing.
import { request, describe } from './api.js';
import { companyItem, errorMessage } from './companies-view.js';

const SHOWN = 6;

async function showPartners() {
  const box = document.getElementById('partners');
  const status = document.getElementById('partners-status');
  try {
    const { data } = await request('GET', `/api/companies?limit=${SHOWN}`);
    const items = Array.isArray(data && data.items) ? data.items : [];
    if (!items.length) {
      status.textContent = 'There are no partner companies yet.';
      return;
    }
    const list = document.createElement('ul');
    list.className = 'company-list';
    for (const c of items) list.append(companyItem(c, 3));
    status.remove();
    box.append(list);
  } catch (err) {
    status.remove();
    box.append(errorMessage('The partner companies cannot be shown right now.', describe(err)));
  }
}

showPartners();
